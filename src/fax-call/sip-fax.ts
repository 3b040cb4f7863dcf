// One fax over SIP from this process, for `faxswitch fax send|receive` and tests: an embedded
// drachtio-compatible server and srf signalling (src/sip) for the call, a one-worker MediaNode for
// the fax, a FaxCallLeg between them. Receiving answers one call; sending dials one target.
import { randomBytes } from 'node:crypto';
import type { FaxJobOptions } from '../fax/index.ts';
import { MediaNode, type FaxChannelEvents, type G711Law, type T38SdpParams } from '../media/index.ts';
import type { Logger } from '../observability/index.ts';
import {
  startSipNode,
  type InboundOffer,
  type InboundPolicy,
  type SipNode,
  type TrunkConfig,
} from '../sip/index.ts';
import { FaxCallLeg, parseAudioMedia, type FaxCallOutcome } from './fax-call-leg.ts';

export interface SipFaxOptions {
  /** Address for SIP and media sockets, announced in SDP and Contact. */
  readonly host: string;
  /** SIP port (UDP and TCP); 0 or absent: any free port. */
  readonly sipPort?: number;
  /** UDP range for RTP/UDPTL; default 20000–29999. */
  readonly mediaPorts?: { readonly min: number; readonly max: number };
  readonly job: FaxJobOptions;
  /** Our T.38 parameters; undefined keeps the call on G.711. */
  readonly t38: T38SdpParams | undefined;
  readonly secondaries?: number;
  readonly events?: FaxChannelEvents;
  /** The whole call, waiting included. */
  readonly timeoutMs: number;
  readonly logger: Logger;
}

export interface ReceiveOverSipOptions extends SipFaxOptions {
  /** Answer only calls to this number (others get 404); any number when absent. */
  readonly did?: string;
  /** SIP is listening: where peers can send their INVITE. */
  readonly onListening?: (sip: { host: string; udpPort: number; tcpPort: number }) => void;
  readonly onCall?: (offer: InboundOffer) => void;
}

export interface SendOverSipOptions extends SipFaxOptions {
  /** Where the INVITE goes: `host[:port]` or a SIP URI. */
  readonly proxy: string;
  /** The number dialled (user part of the Request-URI). */
  readonly to: string;
  readonly callerId: string;
  /** The G.711 law we offer (default PCMA). */
  readonly law?: G711Law;
  readonly onAnswered?: () => void;
}

export interface SipFaxOutcome extends FaxCallOutcome {
  /** Who called, for a received fax. */
  readonly caller?: string;
}

/** How long the answering side waits for the caller's BYE before sending its own. */
const BYE_GRACE_MS = 3000;

/** Answers the first call (to `did`, if given), receives one fax, hangs up. */
export async function receiveFaxOverSip(options: ReceiveOverSipOptions): Promise<SipFaxOutcome> {
  const deadline = Date.now() + options.timeoutMs;
  let taken = false;
  return withNode(
    options,
    [],
    inboundPolicy(options, () => !taken),
    async (node, media) => {
      const embedded = node.embedded!;
      options.onListening?.({
        host: embedded.host,
        udpPort: embedded.sipUdpPort,
        tcpPort: embedded.sipTcpPort,
      });
      let caller = '';
      const answered = new Promise<FaxCallLeg>((resolve, reject) => {
        let leg: FaxCallLeg | undefined;
        node.signalling.onInbound({
          async offer(offer) {
            const audio = parseAudioMedia(offer.sdp);
            if (taken) return { kind: 'reject', status: 486 };
            if (!audio) return { kind: 'reject', status: 488, reason: 'G.711 audio required' };
            taken = true;
            caller = offer.caller;
            options.onCall?.(offer);
            try {
              leg = await FaxCallLeg.open(legOptions(options, media, false), audio.law);
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
              return { kind: 'reject', status: 503 };
            }
            return { kind: 'answer', sdp: leg.audioSdp() };
          },
          answered(session) {
            if (!leg) return;
            leg.attach(session);
            resolve(leg);
            // As the switch does: offer T.38 at once rather than wait for fax tones on audio.
            if (options.t38) void leg.offerT38();
          },
        });
      });
      const leg = await beforeDeadline(answered, deadline, 'no call arrived');
      const outcome = await finishBy(leg, deadline);
      await leg.hangup(BYE_GRACE_MS);
      return { ...outcome, caller };
    },
  );
}

/** Dials `to` through `proxy`, sends the fax, hangs up. SIP failures throw src/sip's typed errors. */
export async function sendFaxOverSip(options: SendOverSipOptions): Promise<SipFaxOutcome> {
  const deadline = Date.now() + options.timeoutMs;
  const trunk: TrunkConfig = {
    name: 'target',
    proxy: options.proxy,
    codecs: ['PCMA', 'PCMU'],
    t38Policy: options.t38 ? 'offer-on-reinvite' : 'force-audio',
    maxChannels: 1,
    callsPerSecond: 1,
    setupTimeoutMs: 4000,
    answerTimeoutMs: Math.min(60_000, options.timeoutMs),
  };
  return withNode(
    options,
    [trunk],
    inboundPolicy(options, () => false),
    async (node, media) => {
      const leg = await FaxCallLeg.open(legOptions(options, media, true), options.law ?? 'pcma');
      try {
        const session = await node.signalling.dial({
          to: options.to,
          callerId: { number: options.callerId },
          sdp: leg.audioSdp(),
        });
        options.onAnswered?.();
        leg.attach(session);
      } catch (error) {
        leg.abort();
        await leg.finished();
        throw error;
      }
      const outcome = await finishBy(leg, deadline);
      await leg.hangup();
      return outcome;
    },
  );
}

function legOptions(options: SipFaxOptions, media: MediaNode, calling: boolean) {
  return {
    media,
    address: options.host,
    job: options.job,
    calling,
    t38: options.t38,
    ...(options.secondaries === undefined ? {} : { secondaries: options.secondaries }),
    ...(options.events ? { events: options.events } : {}),
  };
}

function inboundPolicy(options: SipFaxOptions & { did?: string }, hasCapacity: () => boolean): InboundPolicy {
  return {
    lookupDid: (did) =>
      Promise.resolve(options.did === undefined || did === options.did ? 'active' : 'unknown'),
    unknownDidStatus: 404,
    hasCapacity,
    retryAfterSeconds: 30,
    t38Policy: options.t38 ? 'offer-on-reinvite' : 'force-audio',
  };
}

async function withNode<T>(
  options: SipFaxOptions,
  trunks: readonly TrunkConfig[],
  inbound: InboundPolicy,
  body: (node: SipNode, media: MediaNode) => Promise<T>,
): Promise<T> {
  const media = await MediaNode.start({
    host: options.host,
    portMin: options.mediaPorts?.min ?? 20000,
    portMax: options.mediaPorts?.max ?? 29999,
    maxChannels: 4,
    workers: 1,
  });
  try {
    const port = options.sipPort ?? 0;
    const node = await startSipNode({
      drachtio: {
        kind: 'embedded',
        server: {
          host: options.host,
          secret: randomBytes(16).toString('hex'),
          controlPort: 0,
          sipUdpPort: port,
          sipTcpPort: port,
        },
      },
      trunks,
      inbound,
      logger: options.logger,
    });
    try {
      return await body(node, media);
    } finally {
      await node.close();
    }
  } finally {
    await media.stop();
  }
}

async function beforeDeadline<T>(promise: Promise<T>, deadline: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The fax's outcome; past the deadline the fax is stopped (T.30 reports the drop). */
async function finishBy(leg: FaxCallLeg, deadline: number): Promise<FaxCallOutcome> {
  const timer = setTimeout(() => leg.abort(), Math.max(0, deadline - Date.now()));
  try {
    return await leg.finished();
  } finally {
    clearTimeout(timer);
  }
}
