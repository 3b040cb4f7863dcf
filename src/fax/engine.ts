// Fax engine sessions over the SpanDSP addon: a T.38 terminal, an audio (G.711 line) terminal, a
// T.38⇄audio gateway and a connect-tone detector. They own no sockets and no clock: the media layer
// (src/media) feeds them packets/samples and calls tick() every 20 ms, and tests drive them with a
// simulated clock. Each terminal reports the negotiated parameters, every page the far end
// confirmed (the durability hook; received pages come with their pixels) and the final result.
import { existsSync } from 'node:fs';
import type { FaxPage, FaxResolution } from '../documents/index.ts';
import {
  nativeBinding,
  type NativeBinding,
  type NativeConfig,
  type NativeEventCallback,
  type NativeFrame,
  type NativeHandle,
  type NativePhaseB,
  type NativePhaseD,
  type NativePhaseE,
  type NativeStats,
  type NativeTiffWriter,
  type NativeTone,
} from './binding.ts';
import {
  CONNECT_TONES,
  PAGE_CONFIRMATIONS,
  SAMPLES_PER_TICK,
  T30_COMPRESSIONS,
  T30_MODEMS,
  T30_RESOLUTIONS,
  T4_ENCODINGS,
  Y_RESOLUTION_PPM,
  type FaxCompression,
  type FaxModem,
} from './constants.ts';
import { FaxFileError, FaxOptionsError, faxErrorFromCompletion, type FaxError } from './errors.ts';

/** What the fax should do; T.30 options default to everything SpanDSP 0.0.6 supports. */
export interface FaxJobOptions {
  readonly direction: 'send' | 'receive';
  /** TIFF-F to send, or the TIFF file received pages are written to (G4, off the media thread:
   * it is complete once the terminal's `flush()` resolves). */
  readonly file: string;
  /** Sending: the first page to send, 1-based (resuming after page N confirmed = N + 1). */
  readonly firstPage?: number;
  /** Sending: the last page to send, 1-based, inclusive. */
  readonly lastPage?: number;
  readonly ecm?: boolean;
  readonly modems?: readonly FaxModem[];
  /** MMR (T.6) is only used when ECM is on; SpanDSP drops it otherwise. */
  readonly compressions?: readonly FaxCompression[];
  readonly resolutions?: readonly FaxResolution[];
  /** Local identity sent as TSI (sending) or CSI (receiving): ≤ 20 printable ASCII characters. */
  readonly ident?: string;
  /** Text SpanDSP prints in the header line of each sent page (≤ 50 characters); none if absent. */
  readonly pageHeaderInfo?: string;
  /** Received pages larger than this many pixels are confirmed without their pixels (default:
   * A3 superfine). */
  readonly maxPagePixels?: number;
}

/** The T.38 session parameters from SDP negotiation (src/media/sdp.ts). */
export interface T38SessionParams {
  readonly version?: number;
  readonly maxBitRate?: number;
  readonly maxDatagram?: number;
  readonly maxBuffer?: number;
  readonly fillBitRemoval?: boolean;
  readonly mmrTranscoding?: boolean;
  readonly jbigTranscoding?: boolean;
}

export interface FaxNegotiated {
  readonly bitRate: number;
  readonly ecm: boolean;
  readonly remoteIdent: string;
  readonly remoteVendor: string;
  readonly remoteModel: string;
}

/** One page the far end confirmed (sending) or we confirmed with MCF (receiving). */
export interface ConfirmedPage {
  readonly direction: 'send' | 'receive';
  /** 1-based page number in the document (sending: counts from `firstPage`). */
  readonly pageNumber: number;
  readonly resolution: FaxResolution;
  readonly encoding: string;
  readonly bitRate: number;
  readonly ecm: boolean;
  readonly width: number;
  readonly length: number;
  readonly badRows: number;
  readonly longestBadRowRun: number;
  readonly ecmRetries: number;
  readonly remoteIdent: string;
  /** Receiving only: the page as decoded from the file SpanDSP wrote. */
  readonly page?: FaxPage;
}

export interface FaxResult {
  readonly ok: boolean;
  /** T30_ERR_* completion code and SpanDSP's text for it. */
  readonly code: number;
  readonly text: string;
  readonly pagesConfirmed: number;
  readonly error?: FaxError;
  readonly stats: NativeStats;
}

export interface FaxEvents {
  onNegotiated?(negotiated: FaxNegotiated): void;
  /** Called synchronously, before the engine moves on; persist the page from here. */
  onPageConfirmed?(page: ConfirmedPage): void;
  onCompleted?(result: FaxResult): void;
}

const MAX_IDENT = 20;
const MAX_HEADER = 50;
const DEFAULT_MAX_PAGE_PIXELS = 2432 * 4400 * 2;

function bits<K extends string>(table: Readonly<Record<K, number>>, keys: readonly K[] | undefined): number {
  const chosen = keys ?? (Object.keys(table) as K[]);
  return chosen.reduce((mask, key) => mask | table[key], 0);
}

function checkText(label: string, value: string | undefined, max: number): void {
  if (value === undefined) return;
  if (value.length > max || !/^[\x20-\x7e]*$/.test(value)) {
    throw new FaxOptionsError(
      `${label} must be at most ${max} printable ASCII characters, got ${JSON.stringify(value)}`,
    );
  }
}

/** Validates job options and turns them into the addon's T.30 settings. */
export function t30Config(job: FaxJobOptions): NativeConfig {
  checkText('ident', job.ident, MAX_IDENT);
  checkText('pageHeaderInfo', job.pageHeaderInfo, MAX_HEADER);
  const ecm = job.ecm ?? true;
  const config: NativeConfig = {
    ecm,
    modems: bits(T30_MODEMS, job.modems),
    compressions: bits(T30_COMPRESSIONS, job.compressions),
    resolutions: bits(T30_RESOLUTIONS, job.resolutions),
  };
  if (config.modems === 0) throw new FaxOptionsError('at least one modem must be enabled');
  if (job.ident !== undefined) config.ident = job.ident;
  if (job.pageHeaderInfo !== undefined) config.pageHeaderInfo = job.pageHeaderInfo;
  if (job.direction === 'send') {
    if (!existsSync(job.file)) throw new FaxOptionsError(`fax document not found: ${job.file}`);
    const first = job.firstPage ?? 1;
    const last = job.lastPage;
    if (!Number.isInteger(first) || first < 1)
      throw new FaxOptionsError(`firstPage must be ≥ 1, got ${first}`);
    if (last !== undefined && (!Number.isInteger(last) || last < first)) {
      throw new FaxOptionsError(`lastPage must be ≥ firstPage (${first}), got ${last}`);
    }
    config.txFile = job.file;
    config.txStartPage = first - 1;
    config.txStopPage = last === undefined ? -1 : last - 1;
  } else {
    // SpanDSP insists on opening a file it would write received pages to. It does not write them
    // (the addon keeps the rows, and our writer writes `file` on the thread pool), and it deletes
    // the empty file when the fax ends. Next to `file`, so a bad directory still fails at once.
    config.rxFile = `${job.file}.spandsp`;
  }
  return config;
}

function t38Config(params: T38SessionParams | undefined): NativeConfig {
  if (params === undefined) return {};
  const config: NativeConfig = {};
  if (params.version !== undefined) config.t38Version = params.version;
  if (params.maxBitRate !== undefined) config.fastestImageDataRate = params.maxBitRate;
  if (params.maxDatagram !== undefined) config.maxDatagram = params.maxDatagram;
  if (params.maxBuffer !== undefined) config.maxBuffer = params.maxBuffer;
  if (params.fillBitRemoval !== undefined) config.fillBitRemoval = params.fillBitRemoval;
  if (params.mmrTranscoding !== undefined) config.mmrTranscoding = params.mmrTranscoding;
  if (params.jbigTranscoding !== undefined) config.jbigTranscoding = params.jbigTranscoding;
  return config;
}

function resolutionOf(yPixelsPerMetre: number): FaxResolution {
  if (yPixelsPerMetre >= Y_RESOLUTION_PPM.superfine - 100) return 'superfine';
  if (yPixelsPerMetre >= Y_RESOLUTION_PPM.fine - 100) return 'fine';
  return 'standard';
}

/** Pixels per metre (T.30's unit) to dots per inch (TIFF's), e.g. 8031 → 204, 7700 → 196. */
const dpi = (pixelsPerMetre: number) => Math.round(pixelsPerMetre * 0.0254);

/** Owns one addon handle; `release()` frees SpanDSP's state at once (GC would do it later). */
abstract class NativeSession {
  protected readonly native: NativeBinding = nativeBinding();
  private handle: NativeHandle | undefined;

  protected attach(handle: NativeHandle): NativeHandle {
    this.handle = handle;
    return handle;
  }

  protected get liveHandle(): NativeHandle {
    if (this.handle === undefined) throw new FaxOptionsError(`${this.constructor.name} already released`);
    return this.handle;
  }

  get released(): boolean {
    return this.handle === undefined;
  }

  /** Frees the SpanDSP state; the session is unusable afterwards. Not from inside a callback. */
  release(): void {
    if (this.handle === undefined) return;
    this.native.release(this.handle);
    this.handle = undefined;
  }
}

/** Shared T.30 bookkeeping for the T.38 and audio terminals. */
abstract class FaxTerminal extends NativeSession {
  readonly job: FaxJobOptions;
  private readonly events: FaxEvents;
  private confirmed = 0;
  /** Receiving: a page ended (phase D) and waits for our MCF before it counts. */
  private pendingRxPage = false;
  private finalResult: FaxResult | undefined;
  /** Receiving: writes `job.file`, from the first confirmed page on. */
  private rxFile: NativeTiffWriter | undefined;
  private rxFileClosed: Promise<void> | undefined;

  protected constructor(
    job: FaxJobOptions,
    events: FaxEvents,
    create: (cb: NativeEventCallback) => NativeHandle,
  ) {
    super();
    this.job = job;
    this.events = events;
    const config = t30Config(job);
    this.native.configure(this.attach(create(this.onNativeEvent)), config);
  }

  /** The final result once phase E happened, else undefined. */
  get result(): FaxResult | undefined {
    return this.finalResult;
  }

  get pagesConfirmed(): number {
    return this.confirmed;
  }

  protected configure(config: NativeConfig): void {
    this.native.configure(this.liveHandle, config);
  }

  stats(): NativeStats {
    return this.native.stats(this.liveHandle);
  }

  /** Receiving: settles once every confirmed page is written to `job.file` and the file is closed
   * (rejects with FaxFileError if it could not be written). Call it once the fax has ended: no
   * page can be added afterwards. Sending: settles at once. */
  flush(): Promise<void> {
    const writer = this.rxFile;
    if (!writer) return Promise.resolve();
    this.rxFileClosed ??= new Promise((resolve, reject) =>
      this.native.tiffWriterClose(writer, (error) => (error ? reject(new FaxFileError(error)) : resolve())),
    );
    return this.rxFileClosed;
  }

  /** Ends the fax now (the call dropped); reports the result if it had not ended yet. */
  hangUp(): void {
    if (this.released || this.finalResult !== undefined) return;
    this.native.terminate(this.liveHandle);
  }

  private readonly onNativeEvent: NativeEventCallback = (name, payload, extra) => {
    switch (name) {
      case 'ifp':
        this.onIfp(payload as Uint8Array, extra as number);
        return;
      case 'phaseB': {
        const b = payload as NativePhaseB;
        this.events.onNegotiated?.({
          bitRate: b.bitRate,
          ecm: b.ecm,
          remoteIdent: b.remoteIdent,
          remoteVendor: b.remoteVendor,
          remoteModel: b.remoteModel,
        });
        return;
      }
      case 'phaseD': {
        const d = payload as NativePhaseD;
        if (this.job.direction === 'send') {
          if (PAGE_CONFIRMATIONS.has(d.frame) && d.pagesTx > this.confirmed) this.confirmSent(d);
        } else if (d.pagesRx > this.confirmed) {
          this.pendingRxPage = true;
        }
        return;
      }
      case 'frame': {
        const f = payload as NativeFrame;
        if (this.job.direction === 'receive' && !f.incoming && this.pendingRxPage) {
          this.pendingRxPage = false;
          if (PAGE_CONFIRMATIONS.has(f.fcf)) this.confirmReceived();
        }
        return;
      }
      case 'phaseE': {
        const e = payload as NativePhaseE;
        const ok = e.code === 0;
        const error = ok ? undefined : faxErrorFromCompletion(e.code, e.text, this.confirmed);
        this.finalResult = {
          ok,
          code: e.code,
          text: e.text,
          pagesConfirmed: this.confirmed,
          stats: e,
          ...(error ? { error } : {}),
        };
        this.events.onCompleted?.(this.finalResult);
        return;
      }
      case 'tone':
        return;
    }
  };

  /** T.38 terminals transmit IFPs; audio terminals never get this event. */
  protected onIfp(_ifp: Uint8Array, _count: number): void {}

  private pageMeta(s: NativeStats, pageNumber: number): Omit<ConfirmedPage, 'direction'> {
    return {
      pageNumber,
      resolution: resolutionOf(s.yResolution),
      encoding: T4_ENCODINGS[s.encoding] ?? `unknown(${s.encoding})`,
      bitRate: s.bitRate,
      ecm: s.ecm,
      width: s.width,
      length: s.length,
      badRows: s.badRows,
      longestBadRowRun: s.longestBadRowRun,
      ecmRetries: s.ecmRetries,
      remoteIdent: s.remoteIdent,
    };
  }

  private confirmSent(s: NativeStats): void {
    this.confirmed = s.pagesTx;
    const pageNumber = (this.job.firstPage ?? 1) + this.confirmed - 1;
    this.events.onPageConfirmed?.({ direction: 'send', ...this.pageMeta(s, pageNumber) });
  }

  private confirmReceived(): void {
    const s = this.native.stats(this.liveHandle);
    this.confirmed += 1;
    let page: FaxPage | undefined;
    const rows = this.takeRxPage();
    if (rows) {
      page = { width: s.width, ...rows, resolution: resolutionOf(s.yResolution) };
      // The writer copies the page now: the hook below may hand `data` to another thread.
      this.rxFile ??= this.native.createTiffWriter(this.job.file);
      this.native.tiffWriterAppend(this.rxFile, {
        ...page,
        xDpi: dpi(s.xResolution),
        yDpi: dpi(s.yResolution),
      });
    }
    const meta = this.pageMeta(s, this.confirmed);
    this.events.onPageConfirmed?.({
      direction: 'receive',
      ...meta,
      ...(page ? { page, length: page.height } : {}),
    });
  }

  private takeRxPage() {
    try {
      return this.native.takeRxPage(this.liveHandle, this.job.maxPagePixels ?? DEFAULT_MAX_PAGE_PIXELS);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_FAX_PAGE_TOO_LARGE') return null;
      throw error;
    }
  }
}

export interface T38TerminalOptions {
  /** True on the side that placed the call. */
  readonly calling: boolean;
  readonly job: FaxJobOptions;
  readonly t38?: T38SessionParams;
  /** Sends one IFP; `count` > 1 asks for the identical packet (same sequence number) that often.
   * `ifp` is valid only during the call (the addon reuses its buffer): copy what you keep. */
  readonly transmit: (ifp: Uint8Array, count: number) => void;
  readonly events?: FaxEvents;
}

/** A fax terminal speaking T.38 IFPs (UDPTL framing is the media layer's job). */
export class T38Terminal extends FaxTerminal {
  private readonly transmit: (ifp: Uint8Array, count: number) => void;

  constructor(options: T38TerminalOptions) {
    const native = nativeBinding();
    super(options.job, options.events ?? {}, (cb) => native.createT38Terminal(options.calling, cb));
    this.transmit = options.transmit;
    this.configure(t38Config(options.t38));
  }

  protected override onIfp(ifp: Uint8Array, count: number): void {
    this.transmit(ifp, count);
  }

  /** Feeds one received IFP with its UDPTL sequence number (in order, gaps allowed). */
  receiveIfp(ifp: Uint8Array, seq: number): void {
    this.native.t38RxIfp(this.liveHandle, ifp, seq);
  }

  /** Advances T.30 timers and pacing by one 20 ms tick; true once the terminal is done. */
  tick(samples: number = SAMPLES_PER_TICK): boolean {
    return this.native.t38SendTimeout(this.liveHandle, samples);
  }
}

export interface AudioTerminalOptions {
  readonly calling: boolean;
  readonly job: FaxJobOptions;
  readonly events?: FaxEvents;
}

/** A fax terminal on an 8 kHz linear audio line (G.711 is decoded by the media layer). */
export class AudioTerminal extends FaxTerminal {
  constructor(options: AudioTerminalOptions) {
    const native = nativeBinding();
    super(options.job, options.events ?? {}, (cb) => native.createAudioTerminal(options.calling, cb));
  }

  receiveAudio(samples: Int16Array): void {
    this.native.audioRx(this.liveHandle, samples);
  }

  /** Tells the modems `count` samples were lost (a missing RTP packet). */
  receiveFillin(count: number): void {
    this.native.audioRxFillin(this.liveHandle, count);
  }

  /** Fills `out` with the next samples to send; returns how many were written. */
  transmitAudio(out: Int16Array): number {
    return this.native.audioTx(this.liveHandle, out);
  }

  get done(): boolean {
    return this.result !== undefined;
  }
}

export interface T38GatewayOptions {
  readonly ecm?: boolean;
  readonly modems?: readonly FaxModem[];
  readonly t38?: T38SessionParams;
  /** As T38TerminalOptions.transmit: `ifp` is valid only during the call. */
  readonly transmit: (ifp: Uint8Array, count: number) => void;
}

export interface GatewayStats {
  readonly bitRate: number;
  readonly ecm: boolean;
  readonly pagesTransferred: number;
}

/** Relays a fax between a T.38 peer and an audio line (SpanDSP's t38_gateway). */
export class T38Gateway extends NativeSession {
  constructor(options: T38GatewayOptions) {
    super();
    const transmit = options.transmit;
    const handle = this.attach(
      this.native.createGateway((name, payload, extra) => {
        if (name === 'ifp') transmit(payload as Uint8Array, extra as number);
      }),
    );
    this.native.configure(handle, {
      ecm: options.ecm ?? true,
      modems: bits(T30_MODEMS, options.modems),
      ...t38Config(options.t38),
    });
  }

  receiveIfp(ifp: Uint8Array, seq: number): void {
    this.native.t38RxIfp(this.liveHandle, ifp, seq);
  }

  receiveAudio(samples: Int16Array): void {
    this.native.audioRx(this.liveHandle, samples);
  }

  receiveFillin(count: number): void {
    this.native.audioRxFillin(this.liveHandle, count);
  }

  transmitAudio(out: Int16Array): number {
    return this.native.audioTx(this.liveHandle, out);
  }

  stats(): GatewayStats {
    return this.native.stats(this.liveHandle) as unknown as GatewayStats;
  }
}

export type ConnectTone = 'ced' | 'v21-preamble' | 'cng';

/** Listens to call audio for a fax answer tone (CED) or a V.21 preamble: the moment to switch the
 * call to T.38 with a re-INVITE, as Asterisk and FreeSWITCH do. */
export class ConnectToneDetector extends NativeSession {
  constructor(onTone: (tone: ConnectTone) => void, listenFor: 'answer' | 'calling' = 'answer') {
    super();
    const type = listenFor === 'answer' ? CONNECT_TONES.cedOrPreamble : CONNECT_TONES.cng;
    this.attach(
      this.native.createToneDetector(type, (name, payload) => {
        if (name !== 'tone') return;
        const tone = (payload as NativeTone).tone;
        if (tone === CONNECT_TONES.ans || tone === CONNECT_TONES.ansPr) onTone('ced');
        else if (tone === CONNECT_TONES.faxPreamble) onTone('v21-preamble');
        else if (tone === CONNECT_TONES.cng) onTone('cng');
      }),
    );
  }

  receiveAudio(samples: Int16Array): void {
    if (!this.released) this.native.audioRx(this.liveHandle, samples);
  }
}
