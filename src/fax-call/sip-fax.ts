// A SIP fax station in this process — an embedded drachtio-compatible server and srf signalling
// (src/sip), media workers (src/media), and a FaxCallLeg per call — for `faxswitch fax send|receive`,
// for tests, and for benchmarks that need many far-end fax machines at once. It dials through one
// proxy and answers calls it is told to take; the clustered switch composes the same pieces.
import { randomBytes } from 'node:crypto';
import type { FaxJobOptions } from '../fax/index.ts';
import { MediaNode, type FaxChannelEvents, type G711Law, type T38SdpParams } from '../media/index.ts';
import type { Logger } from '../observability/index.ts';
import { startSipNode, type InboundOffer, type SipNode, type TrunkConfig } from '../sip/index.ts';
import { FaxCallLeg, parseAudioMedia, type FaxCallOutcome } from './fax-call-leg.ts';

export interface FaxStationOptions {
  /** Address for SIP and media sockets, announced in SDP and Contact. */
  readonly host: string;
  /** SIP port (UDP and TCP); 0 or absent: any free port. */
  readonly sipPort?: number;
  /** UDP range for RTP/UDPTL; default 20000–29999. */
  readonly mediaPorts?: { readonly min: number; readonly max: number };
  /** Calls at once (media channels are twice that: audio, then T.38). */
  readonly maxCalls: number;
  /** Media worker threads; default 1. */
  readonly mediaWorkers?: number;
  /** Where dialled calls go: `host[:port]` or a SIP URI. Absent: the station only answers. */
  readonly proxy?: string;
  /** Numbers the station answers (others get 404); any number when absent. */
  readonly answers?: (did: string) => boolean;
  /** T.38 for every call (undefined keeps calls on G.711). */
  readonly t38: T38SdpParams | undefined;
  readonly logger: Logger;
}

/** One fax over one call. */
export interface StationFax {
  readonly job: FaxJobOptions;
  readonly secondaries?: number;
  readonly events?: FaxChannelEvents;
  /** The whole call, waiting included. */
  readonly timeoutMs: number;
  /** Aborting drops the call at once, the way a line fails (tests of resumed faxes). */
  readonly signal?: AbortSignal;
}

export interface DialRequest extends StationFax {
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

export class FaxStation {
  readonly #node: SipNode;
  readonly #media: MediaNode;
  readonly #options: FaxStationOptions;
  #answering: StationDecision | undefined;
  #calls = 0;

  private constructor(node: SipNode, media: MediaNode, options: FaxStationOptions) {
    this.#node = node;
    this.#media = media;
    this.#options = options;
  }

  static async open(options: FaxStationOptions): Promise<FaxStation> {
    const media = await MediaNode.start({
      host: options.host,
      portMin: options.mediaPorts?.min ?? 20000,
      portMax: options.mediaPorts?.max ?? 29999,
      maxChannels: options.maxCalls * 2,
      workers: options.mediaWorkers ?? 1,
    });
    let station: FaxStation | undefined;
    try {
      const port = options.sipPort ?? 0;
      const trunks: TrunkConfig[] = options.proxy
        ? [
            {
              name: 'target',
              proxy: options.proxy,
              codecs: ['PCMA', 'PCMU'],
              t38Policy: options.t38 ? 'offer-on-reinvite' : 'force-audio',
              maxChannels: options.maxCalls,
              callsPerSecond: Math.max(1, options.maxCalls),
              setupTimeoutMs: 4000,
              answerTimeoutMs: 60_000,
            },
          ]
        : [];
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
        inbound: {
          lookupDid: (did) => Promise.resolve(options.answers?.(did) === false ? 'unknown' : 'active'),
          unknownDidStatus: 404,
          hasCapacity: () =>
            station !== undefined && station.#answering !== undefined && station.#calls < options.maxCalls,
          retryAfterSeconds: 30,
          t38Policy: options.t38 ? 'offer-on-reinvite' : 'force-audio',
        },
        logger: options.logger,
      });
      station = new FaxStation(node, media, options);
      return station;
    } catch (error) {
      await media.stop();
      throw error;
    }
  }

  /** Where peers send their INVITEs. */
  get listening(): { host: string; udpPort: number; tcpPort: number } {
    const embedded = this.#node.embedded!;
    return { host: embedded.host, udpPort: embedded.sipUdpPort, tcpPort: embedded.sipTcpPort };
  }

  /** Dials through the proxy, sends the fax, hangs up. SIP failures throw src/sip's typed errors. */
  async send(request: DialRequest): Promise<SipFaxOutcome> {
    const deadline = Date.now() + request.timeoutMs;
    this.#calls += 1;
    try {
      const leg = await FaxCallLeg.open(this.#legOptions(request, true), request.law ?? 'pcma');
      try {
        const session = await this.#node.signalling.dial({
          to: request.to,
          callerId: { number: request.callerId },
          sdp: leg.audioSdp(),
        });
        request.onAnswered?.();
        leg.attach(session);
      } catch (error) {
        leg.abort();
        await leg.finished();
        throw error;
      }
      const outcome = await finishBy(leg, deadline, request.signal);
      await leg.hangup();
      return outcome;
    } finally {
      this.#calls -= 1;
    }
  }

  /**
   * Answers calls: `decide` returns the fax to receive, or undefined to refuse (486 busy); it may
   * take its time (a slow answer). Each received fax's outcome goes to `onOutcome`; a call that
   * could not be set up goes to `onError`.
   */
  answer(
    decide: StationDecision,
    onOutcome: (outcome: SipFaxOutcome, offer: InboundOffer) => void,
    onError: (error: Error) => void,
  ): void {
    this.#answering = decide;
    const legs = new Map<string, { leg: FaxCallLeg; fax: StationFax }>();
    this.#node.signalling.onInbound({
      offer: async (offer) => {
        const audio = parseAudioMedia(offer.sdp);
        if (!audio) return { kind: 'reject', status: 488, reason: 'G.711 audio required' };
        const fax = await decide(offer);
        if (!fax) return { kind: 'reject', status: 486 };
        this.#calls += 1;
        try {
          const leg = await FaxCallLeg.open(this.#legOptions(fax, false), audio.law);
          legs.set(offer.callId, { leg, fax });
          return { kind: 'answer', sdp: leg.audioSdp() };
        } catch (error) {
          this.#calls -= 1;
          onError(error instanceof Error ? error : new Error(String(error)));
          return { kind: 'reject', status: 503 };
        }
      },
      answered: (session, offer) => {
        const answered = legs.get(offer.callId);
        if (!answered) return;
        legs.delete(offer.callId);
        const { leg, fax } = answered;
        leg.attach(session);
        // As the switch does: offer T.38 at once rather than wait for fax tones on audio.
        if (this.#options.t38) void leg.offerT38();
        void (async () => {
          try {
            const outcome = await finishBy(leg, Date.now() + fax.timeoutMs, fax.signal);
            await leg.hangup(BYE_GRACE_MS);
            onOutcome({ ...outcome, caller: offer.caller }, offer);
          } finally {
            this.#calls -= 1;
          }
        })();
      },
    });
  }

  /** Hangs up calls, stops the SIP server and the media workers. */
  async close(): Promise<void> {
    try {
      await this.#node.close();
    } finally {
      await this.#media.stop();
    }
  }

  #legOptions(fax: StationFax, calling: boolean) {
    return {
      media: this.#media,
      address: this.#options.host,
      job: fax.job,
      calling,
      t38: this.#options.t38,
      ...(fax.secondaries === undefined ? {} : { secondaries: fax.secondaries }),
      ...(fax.events ? { events: fax.events } : {}),
    };
  }
}

/** Which fax to receive on an offered call; undefined refuses it (486 busy). */
export type StationDecision = (
  offer: InboundOffer,
) => StationFax | undefined | Promise<StationFax | undefined>;

export type StationSettings = Omit<FaxStationOptions, 'maxCalls' | 'proxy' | 'answers'>;

/** Answers the first call (to `did`, if given), receives one fax, hangs up. */
export async function receiveFaxOverSip(
  options: StationSettings &
    StationFax & {
      readonly did?: string;
      readonly onListening?: (sip: { host: string; udpPort: number; tcpPort: number }) => void;
      readonly onCall?: (offer: InboundOffer) => void;
    },
): Promise<SipFaxOutcome> {
  const station = await FaxStation.open({
    ...options,
    maxCalls: 1,
    ...(options.did === undefined ? {} : { answers: (did: string) => did === options.did }),
  });
  try {
    options.onListening?.(station.listening);
    let taken = false;
    const received = new Promise<SipFaxOutcome>((resolve, reject) => {
      station.answer(
        (offer) => {
          if (taken) return undefined;
          taken = true;
          options.onCall?.(offer);
          return options;
        },
        resolve,
        reject,
      );
    });
    return await beforeDeadline(received, Date.now() + options.timeoutMs, 'no call arrived');
  } finally {
    await station.close();
  }
}

/** Dials `to` through `proxy`, sends the fax, hangs up. SIP failures throw src/sip's typed errors. */
export async function sendFaxOverSip(
  options: StationSettings & Omit<DialRequest, 'job'> & StationFax & { readonly proxy: string },
): Promise<SipFaxOutcome> {
  const station = await FaxStation.open({ ...options, maxCalls: 1 });
  try {
    return await station.send(options);
  } finally {
    await station.close();
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

/** The fax's outcome; past the deadline or on `signal` the fax is stopped (T.30 reports the drop). */
async function finishBy(leg: FaxCallLeg, deadline: number, signal?: AbortSignal): Promise<FaxCallOutcome> {
  const abort = (): void => leg.abort();
  const timer = setTimeout(abort, Math.max(0, deadline - Date.now()));
  signal?.addEventListener('abort', abort, { once: true });
  if (signal?.aborted) abort();
  try {
    return await leg.finished();
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', abort);
  }
}
