// Loads the SpanDSP N-API addon (native/, built by `npm run build` and at `npm ci`) and types its
// surface. The addon is deliberately thin: opaque handles, synchronous calls, and events delivered
// through one callback per session while a call is on the stack. Everything else lives in TS.
import { createRequire } from 'node:module';
import path from 'node:path';

/** Opaque SpanDSP session owned by the addon; freed by `release` or at garbage collection. */
export type NativeHandle = { readonly __nativeFaxHandle: unique symbol };

/** T.30 transfer statistics, as `t30_get_transfer_statistics` reports them. */
export interface NativeStats {
  readonly bitRate: number;
  readonly ecm: boolean;
  readonly pagesTx: number;
  readonly pagesRx: number;
  readonly pagesInFile: number;
  /** Pixels per metre: 8031 = 204 dpi; 3850/7700/15400 = 98/196/391 dpi. */
  readonly xResolution: number;
  readonly yResolution: number;
  readonly width: number;
  readonly length: number;
  readonly imageSize: number;
  /** T4_COMPRESSION_*: 1 MH, 2 MR, 3 MMR. */
  readonly encoding: number;
  readonly badRows: number;
  readonly longestBadRowRun: number;
  readonly ecmRetries: number;
  readonly currentStatus: number;
  readonly remoteIdent: string;
}

export interface NativePhaseB extends NativeStats {
  readonly frame: number;
  readonly remoteVendor: string;
  readonly remoteModel: string;
}
export interface NativePhaseD extends NativeStats {
  readonly frame: number;
  readonly frameName: string;
}
export interface NativePhaseE extends NativeStats {
  readonly code: number;
  readonly text: string;
}
export interface NativeFrame {
  readonly incoming: boolean;
  readonly fcf: number;
  /** The second octet (e.g. the post-page command inside a PPS), or -1. */
  readonly fcf2: number;
}
export interface NativeTone {
  readonly tone: number;
  readonly name: string;
  readonly level: number;
  readonly delay: number;
}

export interface NativeEventMap {
  ifp: [ifp: Uint8Array, count: number];
  phaseB: [NativePhaseB];
  phaseD: [NativePhaseD];
  phaseE: [NativePhaseE];
  frame: [NativeFrame];
  tone: [NativeTone];
}
/** Every event arrives as (name, payload, extra), fixed parameters rather than a rest array: an
 * event fires for every IFP a channel sends. An `ifp` payload is a view of a buffer the addon
 * reuses, valid only during the call. */
export type NativeEventCallback = <K extends keyof NativeEventMap>(
  name: K,
  payload: NativeEventMap[K][0],
  extra: NativeEventMap[K][1],
) => void;

/** Options the addon applies with the matching SpanDSP setters; absent keys are left alone. */
export interface NativeConfig {
  ecm?: boolean;
  modems?: number;
  compressions?: number;
  resolutions?: number;
  imageSizes?: number;
  ident?: string;
  pageHeaderInfo?: string;
  txFile?: string;
  /** First and last page (0-based, inclusive; -1 = from the start / to the end). */
  txStartPage?: number;
  txStopPage?: number;
  rxFile?: string;
  rxStopPage?: number;
  t38Version?: number;
  maxDatagram?: number;
  maxBuffer?: number;
  fastestImageDataRate?: number;
  rateManagement?: number;
  fillBitRemoval?: boolean;
  mmrTranscoding?: boolean;
  jbigTranscoding?: boolean;
  tep?: boolean;
  terminalConfig?: number;
}

/** The rows of a received page as SpanDSP decoded them: 1 bit per pixel, MSB first, 1 = black. */
export interface NativeRxPage {
  readonly rowBytes: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** A page for the TIFF writer, in NativeRxPage's bit layout. */
export interface NativeTiffPage {
  readonly width: number;
  readonly height: number;
  readonly rowBytes: number;
  readonly xDpi: number;
  readonly yDpi: number;
  readonly data: Uint8Array;
}

/** A TIFF file the addon writes page by page on libuv's thread pool. */
export type NativeTiffWriter = { readonly __nativeTiffWriter: unique symbol };

export interface NativeBinding {
  createT38Terminal(calling: boolean, onEvent: NativeEventCallback): NativeHandle;
  createAudioTerminal(calling: boolean, onEvent: NativeEventCallback): NativeHandle;
  createGateway(onEvent: NativeEventCallback): NativeHandle;
  createToneDetector(toneType: number, onEvent: NativeEventCallback): NativeHandle;
  configure(handle: NativeHandle, config: NativeConfig): void;
  t38RxIfp(handle: NativeHandle, ifp: Uint8Array, seq: number): number;
  t38SendTimeout(handle: NativeHandle, samples: number): boolean;
  audioRx(handle: NativeHandle, samples: Int16Array): void;
  audioRxFillin(handle: NativeHandle, count: number): void;
  audioTx(handle: NativeHandle, out: Int16Array): number;
  stats(handle: NativeHandle): NativeStats;
  terminate(handle: NativeHandle): void;
  release(handle: NativeHandle): void;
  completionCodeToString(code: number): string;
  /** Asks Linux (EEVDF, 6.12+) for a shorter scheduler time slice for the calling thread: it is
   * then picked sooner when it wakes, for the same share of CPU. False where the kernel did not
   * take it. Not SpanDSP, but the addon is the only native code we have. */
  requestSchedulerSlice(microseconds: number): boolean;
  /** The page SpanDSP ended last (a receiving terminal keeps its rows instead of writing them to
   * SpanDSP's file), or null if there is none since the previous call. Throws
   * ERR_FAX_PAGE_TOO_LARGE past maxPixels. */
  takeRxPage(handle: NativeHandle, maxPixels: number): NativeRxPage | null;
  /** The file is created with the first page. */
  createTiffWriter(file: string): NativeTiffWriter;
  /** Copies the page now and writes it (G4) as the file's next page on the thread pool. */
  tiffWriterAppend(writer: NativeTiffWriter, page: NativeTiffPage): void;
  /** Calls `done` once the pages appended so far are written and the file is closed. */
  tiffWriterClose(writer: NativeTiffWriter, done: (error: string | null) => void): void;
}

const ADDON_PATH = path.join(
  import.meta.dirname,
  '..',
  '..',
  'native',
  'build',
  'Release',
  'faxswitch_spandsp.node',
);

let loaded: NativeBinding | undefined;

/** The addon, loaded once per thread (it is context-aware, so worker threads load it too). */
export function nativeBinding(): NativeBinding {
  if (loaded) return loaded;
  try {
    loaded = createRequire(import.meta.url)(ADDON_PATH) as NativeBinding;
  } catch (error) {
    throw new Error(
      `the SpanDSP addon is not built (${ADDON_PATH}); run \`npm run build\` (needs libspandsp-dev, see scripts/setup)`,
      { cause: error },
    );
  }
  return loaded;
}
