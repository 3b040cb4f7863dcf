// A fax channel: one UDP socket bound to one SpanDSP session, T.38 over UDPTL or G.711 over RTP.
// It is what the SIP layer attaches to once SDP is agreed: local socket, remote address, the
// negotiated T.38 parameters or codec. The owner calls tick() every 20 ms (a MediaClock, usually in
// a media worker). Without a known remote address the channel latches onto the first sender.
import type dgram from 'node:dgram';
import {
  AudioTerminal,
  ConnectToneDetector,
  SAMPLES_PER_TICK,
  T38Terminal,
  TICK_MS,
  type ConfirmedPage,
  type ConnectTone,
  type FaxJobOptions,
  type FaxNegotiated,
  type FaxResult,
} from '../fax/index.ts';
import { g711Decode, g711Encode, G711_PAYLOAD_TYPE, type G711Law } from './g711.ts';
import { decodeRtp, encodeRtp, JitterBuffer, RtpDecodeError } from './rtp.ts';
import { engineParamsFor, errorCorrectionFor, type T38SdpParams } from './sdp.ts';
import { UdptlReceiver, UdptlSender } from './udptl.ts';

const MAX_CALL_MS = 3 * 60 * 60 * 1000;
const LINGER_TICKS = 25;

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export type MediaSpec =
  | { readonly kind: 't38'; readonly params: T38SdpParams; readonly secondaries?: number }
  | {
      readonly kind: 'audio';
      readonly law: G711Law;
      readonly payloadType?: number;
      readonly jitterDepth?: number;
    };

export interface FaxChannelSpec {
  readonly media: MediaSpec;
  readonly job: FaxJobOptions;
  /** True on the side that placed the call. */
  readonly calling: boolean;
  readonly remote?: Endpoint;
  /** Hang up after this long whatever T.30 is doing (default 3 h, HylaFAX's kill time). */
  readonly maxDurationMs?: number;
  /** Audio only: listen for the far end's CED / V.21 preamble (the cue to re-INVITE to T.38). */
  readonly detectTones?: boolean;
}

export interface FaxChannelEvents {
  onNegotiated?(negotiated: FaxNegotiated): void;
  onPageConfirmed?(page: ConfirmedPage): void;
  onCompleted?(result: FaxResult): void;
  /** Audio channels with `detectTones`: the far end is a fax machine (CED or V.21 preamble heard). */
  onTone?(tone: ConnectTone): void;
}

export interface FaxChannelStats {
  packetsIn: number;
  packetsOut: number;
  malformedIn: number;
  recovered: number;
  lost: number;
}

export class FaxChannel {
  private readonly socket: dgram.Socket;
  private remote: Endpoint | undefined;
  private readonly t38: T38Terminal | undefined;
  private readonly audio: AudioTerminal | undefined;
  private readonly udptlOut: UdptlSender | undefined;
  private readonly udptlIn: UdptlReceiver | undefined;
  private readonly jitter: JitterBuffer | undefined;
  private readonly tones: ConnectToneDetector | undefined;
  private readonly law: G711Law;
  private readonly payloadType: number;
  private readonly ssrc = (Math.random() * 0xffffffff) >>> 0;
  private rtpSeq = (Math.random() * 0xffff) >>> 0;
  private rtpTimestamp = 0;
  private readonly samples = new Int16Array(SAMPLES_PER_TICK);
  private readonly codes = new Uint8Array(SAMPLES_PER_TICK);
  private finished = false;
  private connected = false;
  private connecting = false;
  private ticks = 0;
  private ticksAfterResult = 0;
  private readonly maxTicks: number;
  readonly stats: FaxChannelStats = { packetsIn: 0, packetsOut: 0, malformedIn: 0, recovered: 0, lost: 0 };

  constructor(spec: FaxChannelSpec, socket: dgram.Socket, events: FaxChannelEvents = {}) {
    this.socket = socket;
    this.maxTicks = Math.ceil((spec.maxDurationMs ?? MAX_CALL_MS) / TICK_MS);
    const media = spec.media;
    this.law = media.kind === 'audio' ? media.law : 'pcmu';
    this.payloadType = media.kind === 'audio' ? (media.payloadType ?? G711_PAYLOAD_TYPE[media.law]) : 0;
    if (media.kind === 't38') {
      const out = new UdptlSender({
        errorCorrection: errorCorrectionFor(media.params, media.secondaries),
        maxDatagram: media.params.maxDatagram,
      });
      this.udptlOut = out;
      this.udptlIn = new UdptlReceiver();
      this.t38 = new T38Terminal({
        calling: spec.calling,
        job: spec.job,
        t38: engineParamsFor(media.params),
        events,
        transmit: (ifp, count) => {
          // A repeated IFP is the identical datagram, same sequence number, `count` times.
          const datagram = out.next(ifp);
          for (let i = 0; i < Math.max(1, count); i++) this.send(datagram);
        },
      });
    } else {
      // 200 ms: fax modems tolerate constant delay but not underruns, and a busy host wakes late.
      this.jitter = new JitterBuffer(media.jitterDepth ?? 10);
      this.audio = new AudioTerminal({ calling: spec.calling, job: spec.job, events });
      if (spec.detectTones) this.tones = new ConnectToneDetector((tone) => events.onTone?.(tone), 'answer');
    }
    socket.on('message', this.onMessage);
    if (spec.remote) this.connect(spec.remote);
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  get done(): boolean {
    return this.finished;
  }

  get result(): FaxResult | undefined {
    return (this.t38 ?? this.audio)?.result;
  }

  /** Sets (or changes, after a re-INVITE) where media goes. The socket is connected to it: the
   * kernel then drops datagrams from anyone else, and sends skip the per-packet address lookup. */
  connect(remote: Endpoint): void {
    this.remote = remote;
    if (this.connecting) return; // the pending connect re-targets when it completes
    if (this.connected) this.socket.disconnect();
    this.connected = false;
    this.connecting = true;
    this.socket.connect(remote.port, remote.host, () => {
      this.connecting = false;
      if (this.remote === remote) {
        this.connected = true;
      } else if (this.remote && !this.finished) {
        this.socket.disconnect();
        this.connect(this.remote);
      }
    });
  }

  /** One 20 ms step; returns true once the fax has ended and the channel released its engine. */
  tick(): boolean {
    if (this.finished) return true;
    let done = false;
    if (this.t38) {
      done = this.t38.tick();
    } else if (this.audio && this.jitter) {
      this.tickAudio(this.audio, this.jitter);
    }
    // After phase E the terminal still sends its last packets (DCN); give it a moment, then stop
    // even if SpanDSP never reports its transmitter idle.
    if (this.result !== undefined) this.ticksAfterResult += 1;
    if (done || this.ticksAfterResult > LINGER_TICKS) this.finish();
    else if (++this.ticks >= this.maxTicks) this.hangUp();
    return this.finished;
  }

  /** Once the fax has ended: settles when a received fax's TIFF file is complete (see
   * FaxTerminal.flush). */
  flush(): Promise<void> {
    return (this.t38 ?? this.audio)?.flush() ?? Promise.resolve();
  }

  /** Ends the fax now (BYE, shutdown); the result reports what was confirmed so far. */
  hangUp(): void {
    if (this.finished) return;
    (this.t38 ?? this.audio)?.hangUp();
    this.finish();
  }

  private tickAudio(audio: AudioTerminal, jitter: JitterBuffer): void {
    const { payload, priming } = jitter.pop();
    if (payload) {
      const samples = g711Decode(this.law, payload.subarray(0, SAMPLES_PER_TICK), this.samples);
      this.tones?.receiveAudio(samples);
      audio.receiveAudio(samples);
    } else if (priming) {
      // Modem timers run on received samples, so silence keeps them going until audio arrives.
      audio.receiveAudio(this.samples.fill(0));
    } else {
      this.stats.lost += 1;
      audio.receiveFillin(SAMPLES_PER_TICK);
    }
    const out = this.samples;
    const produced = audio.transmitAudio(out);
    out.fill(0, produced);
    g711Encode(this.law, out, this.codes);
    this.send(
      encodeRtp({
        payloadType: this.payloadType,
        seq: this.rtpSeq,
        timestamp: this.rtpTimestamp,
        ssrc: this.ssrc,
        marker: false,
        payload: this.codes,
      }),
    );
    this.rtpSeq = (this.rtpSeq + 1) & 0xffff;
    this.rtpTimestamp = (this.rtpTimestamp + SAMPLES_PER_TICK) >>> 0;
  }

  private finish(): void {
    this.finished = true;
    this.socket.off('message', this.onMessage);
    if (this.udptlIn) {
      this.stats.recovered = this.udptlIn.stats.recovered;
      this.stats.lost = this.udptlIn.stats.lost;
      this.stats.malformedIn = this.udptlIn.stats.malformed;
    }
    // Released outside SpanDSP callbacks: finish() only runs from tick() or hangUp().
    this.t38?.release();
    this.audio?.release();
    this.tones?.release();
  }

  private send(datagram: Uint8Array): void {
    if (!this.connected) return;
    this.stats.packetsOut += 1;
    this.socket.send(datagram);
  }

  private readonly deliverIfp = (ifp: Uint8Array, seq: number): void => this.t38?.receiveIfp(ifp, seq);

  private readonly onMessage = (message: Buffer, from: dgram.RemoteInfo): void => {
    if (this.finished) return;
    if (!this.remote)
      this.connect({ host: from.address, port: from.port }); // latch onto the first sender
    else if (!this.connected && (from.port !== this.remote.port || from.address !== this.remote.host)) return; // not our peer
    this.stats.packetsIn += 1;
    const bytes = new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
    if (this.t38 && this.udptlIn) {
      this.udptlIn.receive(bytes, this.deliverIfp);
      return;
    }
    try {
      const rtp = decodeRtp(bytes);
      if (rtp.payloadType === this.payloadType) this.jitter?.push(rtp.seq, Uint8Array.from(rtp.payload));
    } catch (error) {
      if (!(error instanceof RtpDecodeError)) throw error;
      this.stats.malformedIn += 1;
    }
  };
}
