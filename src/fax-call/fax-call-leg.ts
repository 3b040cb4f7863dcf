// One side of a fax call: the SIP session (src/sip's call-control port) wired to the media that
// carries the fax (src/media). A call starts on G.711 over a real RTP channel and moves to T.38 by
// re-INVITE, ours or the peer's; a refused re-INVITE (488) keeps the fax on audio. One fax per leg.
import { randomInt } from 'node:crypto';
import type { FaxJobOptions } from '../fax/index.ts';
import {
  answerT38,
  formatT38Media,
  parseT38Media,
  type ChannelOutcome,
  type Endpoint,
  type FaxChannelEvents,
  type G711Law,
  type MediaChannel,
  type MediaNode,
  type T38SdpParams,
} from '../media/index.ts';
import type { CallSession, PeerOfferDecision } from '../sip/index.ts';

export interface FaxCallLegOptions {
  readonly media: MediaNode;
  /** Address media sockets are bound to; announced in our SDP. */
  readonly address: string;
  readonly job: FaxJobOptions;
  /** True on the side that placed the call. */
  readonly calling: boolean;
  /** Our T.38 parameters; undefined keeps the fax on audio (peer offers get 488). */
  readonly t38: T38SdpParams | undefined;
  /** UDPTL redundancy depth for T.38 (default 3). */
  readonly secondaries?: number;
  readonly events?: FaxChannelEvents;
}

export interface FaxCallOutcome extends ChannelOutcome {
  /** The media the fax ended on. */
  readonly media: 't38' | 'audio';
}

/** The audio address and G.711 law of an SDP's first `m=audio` section (PCMA preferred). */
export function parseAudioMedia(sdp: string): (Endpoint & { law: G711Law }) | undefined {
  const lines = sdp.split(/\r?\n/);
  const session = lines.find((l) => l.startsWith('c='));
  const start = lines.findIndex((l) => l.startsWith('m=audio '));
  if (start < 0) return undefined;
  const end = lines.findIndex((l, i) => i > start && l.startsWith('m='));
  const section = lines.slice(start, end < 0 ? undefined : end);
  const media = /^m=audio (\d{1,5}) RTP\/AVP((?: \d+)+)$/.exec(section[0] ?? '');
  const connection = /^c=IN IP[46] (\S+)$/.exec(section.find((l) => l.startsWith('c=')) ?? session ?? '');
  if (!media?.[1] || !media[2] || !connection?.[1]) return undefined;
  const types = media[2].trim().split(' ');
  const law = types.includes('8') ? 'pcma' : types.includes('0') ? 'pcmu' : undefined;
  const port = Number(media[1]);
  if (law === undefined || port === 0) return undefined;
  return { host: connection[1], port, law };
}

/**
 * Received pages go to one file per channel (`x.audio.tif`, `x.t38.tif`): the audio channel's
 * SpanDSP session may still be closing its file when the T.38 one opens its own.
 */
function jobFor(job: FaxJobOptions, kind: 't38' | 'audio'): FaxJobOptions {
  return job.direction === 'send' ? job : { ...job, file: receivedFile(job.file, kind) };
}

export function receivedFile(file: string, kind: 't38' | 'audio'): string {
  return file.replace(/(\.tiff?)?$/i, (ext) => `.${kind}${ext || '.tif'}`);
}

export class FaxCallLeg {
  readonly #options: FaxCallLegOptions;
  readonly #sessionId = randomInt(1, 2 ** 31);
  #sdpVersion = 1;
  #channel: MediaChannel;
  /** The audio channel's law: the only one we offer or answer. */
  readonly #law: G711Law;
  #kind: 't38' | 'audio' = 'audio';
  #session: CallSession | undefined;
  #offering = false;
  /** We offer T.38 once per call: a peer that refused it keeps refusing. */
  #offered = false;

  private constructor(options: FaxCallLegOptions, channel: MediaChannel, law: G711Law) {
    this.#options = options;
    this.#channel = channel;
    this.#law = law;
  }

  /**
   * Opens the audio channel whose port goes into our SDP. The caller's channel listens for the far
   * end's fax tones and then offers T.38 (when allowed). `law`: the caller's choice, or the
   * answerer's pick from the offer (parseAudioMedia).
   */
  static async open(options: FaxCallLegOptions, law: G711Law = 'pcma'): Promise<FaxCallLeg> {
    // The channel exists before its leg does: tones heard in between find no leg yet.
    let onTone = (): void => undefined;
    const channel = await options.media.openChannel(
      {
        media: { kind: 'audio', law },
        job: jobFor(options.job, 'audio'),
        calling: options.calling,
        detectTones: options.calling && options.t38 !== undefined,
      },
      { ...options.events, onTone: () => onTone() },
    );
    const leg = new FaxCallLeg(options, channel, law);
    onTone = () => void leg.offerT38();
    return leg;
  }

  get media(): 't38' | 'audio' {
    return this.#kind;
  }

  /** Our audio offer or answer: the channel's one law on its port (the channel cannot change law). */
  audioSdp(): string {
    const type = this.#law === 'pcmu' ? 0 : 8;
    return this.#sdp(
      [
        `m=audio ${this.#channel.localPort} RTP/AVP ${type}`,
        `a=rtpmap:${type} ${this.#law === 'pcmu' ? 'PCMU' : 'PCMA'}/8000`,
        'a=sendrecv',
      ]
        .map((l) => `${l}\r\n`)
        .join(''),
    );
  }

  /** The call is up: start audio towards the peer, take its re-INVITEs, follow its hang-up. */
  attach(session: CallSession): void {
    this.#session = session;
    const audio = parseAudioMedia(session.remoteSdp);
    if (audio) this.#channel.connect(audio);
    session.onPeerOffer((offer) => this.#peerOffer(offer));
    session.onEnded(() => this.#channel.hangUp());
  }

  /** Our re-INVITE to T.38. Resolves true once the fax runs on T.38; false keeps it on audio. */
  async offerT38(): Promise<boolean> {
    const session = this.#session;
    const params = this.#options.t38;
    if (!session || !params || this.#kind === 't38' || this.#offering || this.#offered || session.ended)
      return false;
    this.#offering = true;
    this.#offered = true;
    let channel: MediaChannel | undefined;
    try {
      channel = await this.#openT38(params);
      const result = await session.modify(this.#sdp(formatT38Media(channel.localPort, params)));
      const remote = result.accepted ? parseT38Media(result.remoteSdp) : undefined;
      if (!remote) {
        channel.hangUp();
        return false;
      }
      channel.connect({ host: remote.address ?? this.#options.address, port: remote.port });
      this.#replace(channel);
      return true;
    } catch {
      // No media port, or the call ended under the re-INVITE: the fax goes on (or ends) on audio.
      channel?.hangUp();
      return false;
    } finally {
      this.#offering = false;
    }
  }

  /** Settles when the fax ends, on whichever media it ended. */
  async finished(): Promise<FaxCallOutcome> {
    for (;;) {
      const channel = this.#channel;
      const outcome = await channel.finished;
      // A replaced channel (audio before T.38) ends after the switch: wait for its successor.
      if (channel === this.#channel) return { ...outcome, media: this.#kind };
    }
  }

  /** Ends the call: at once, or after waiting up to `graceMs` for the peer's BYE. */
  async hangup(graceMs = 0): Promise<void> {
    const session = this.#session;
    if (!session) return;
    const deadline = Date.now() + graceMs;
    while (!session.ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (!session.ended) await session.hangup().catch(() => undefined);
  }

  /** Stops the fax wherever it is (a timeout). */
  abort(): void {
    this.#channel.hangUp();
  }

  async #peerOffer(offer: string): Promise<PeerOfferDecision> {
    const ours = this.#options.t38;
    // 491 when both sides offer at once (RFC 3261 14.1); the peer retries after a pause.
    if (this.#offering) return { kind: 'refuse', status: 491 };
    if (!ours || this.#kind === 't38') return { kind: 'refuse', status: 488 };
    this.#offering = true;
    try {
      const remote = parseT38Media(offer);
      if (!remote) return { kind: 'refuse', status: 488 };
      const params = answerT38(remote.params, ours);
      const channel = await this.#openT38(params, {
        host: remote.address ?? this.#options.address,
        port: remote.port,
      });
      this.#replace(channel);
      return { kind: 'accept', sdp: this.#sdp(formatT38Media(channel.localPort, params)) };
    } catch {
      // A T.38 section we cannot parse, or no media port: the fax stays on audio.
      return { kind: 'refuse', status: 488 };
    } finally {
      this.#offering = false;
    }
  }

  #openT38(params: T38SdpParams, remote?: Endpoint): Promise<MediaChannel> {
    const { media, job, calling, events } = this.#options;
    return media.openChannel(
      {
        media: { kind: 't38', params, secondaries: this.#options.secondaries ?? 3 },
        job: jobFor(job, 't38'),
        calling,
        ...(remote ? { remote } : {}),
      },
      events,
    );
  }

  /** The fax restarts on `channel`; the audio channel's T.30 session is dropped. */
  #replace(channel: MediaChannel): void {
    const old = this.#channel;
    this.#channel = channel;
    this.#kind = 't38';
    old.hangUp();
  }

  /** A whole SDP body around one media section; each body gets a new `o=` version (RFC 3264). */
  #sdp(mediaSection: string): string {
    const ip = this.#options.address.includes(':') ? 'IP6' : 'IP4';
    const head = [
      'v=0',
      `o=faxswitch ${this.#sessionId} ${this.#sdpVersion++} IN ${ip} ${this.#options.address}`,
      's=fax',
      `c=IN ${ip} ${this.#options.address}`,
      't=0 0',
    ];
    return head.map((l) => `${l}\r\n`).join('') + mediaSection;
  }
}
