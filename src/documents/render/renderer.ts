// The one entry point that turns an attachment into fax pages: identifies the type from content,
// applies the limits, converts office documents with LibreOffice (subprocess), and renders in a
// pool of child processes that are killed on their deadline and have a capped heap (worker threads
// were not enough: V8 can abort the whole process when a thread runs out of memory). Callers get
// pages at exact fax geometry, or a DocumentRefusedError that says what to fix.
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type FaxPage, type FaxResolution } from '../page.ts';
import { type BitonalMode } from './bitonal.ts';
import { detectDocumentType, documentFamily, type DocumentType } from './detect.ts';
import {
  DocumentTooLargeError,
  DocumentUnreadableError,
  NothingFaxableError,
  RenderOutOfMemoryError,
  RenderTimeoutError,
  fromRenderFailure,
} from './errors.ts';
import { type PaperSize } from './geometry.ts';
import { convertOfficeToPdf } from './office.ts';
import { type RenderRequest, type RenderResponse } from './worker.ts';

export interface RenderLimits {
  /** Largest attachment accepted (Telnyx allows 50 MB per fax). */
  readonly maxBytes: number;
  readonly maxPages: number;
  /** Largest image (per page / frame) decoded, checked from its header before decoding. */
  readonly maxPixels: number;
  /** Wall time for one attachment, conversion and rendering together. */
  readonly timeoutMs: number;
}

export const DEFAULT_RENDER_LIMITS: RenderLimits = {
  maxBytes: 50 * 1024 * 1024,
  maxPages: 350,
  maxPixels: 100_000_000,
  timeoutMs: 120_000,
};

export interface RenderDocumentOptions {
  /** The attachment's name, used only in messages ("page 3 of invoice.pdf …"). */
  readonly name: string;
  readonly resolution?: FaxResolution;
  readonly paperSize?: PaperSize;
  /** `halftone` (default): clustered dot; `photo`: error diffusion; `text`: plain threshold. */
  readonly mode?: BitonalMode;
  readonly limits?: Partial<RenderLimits>;
}

export interface RenderedDocument {
  readonly type: DocumentType;
  readonly pages: FaxPage[];
  /** Things the sender may want to know that did not stop the fax. */
  readonly warnings: string[];
}

export interface DocumentRendererOptions {
  /** Render processes at once (default: one per core). */
  readonly workers?: number;
  /** V8 heap cap of each render process; PDFium's WASM heap is checked against the same figure. */
  readonly maxMemoryMb?: number;
  /** LibreOffice processes at once (each needs ~200 MB and a core for a few seconds); default 2. */
  readonly officeConversions?: number;
}

interface Job {
  readonly request: Omit<RenderRequest, 'id'>;
  readonly timeoutMs: number;
  readonly resolve: (response: RenderResponse) => void;
  readonly reject: (error: Error) => void;
}

export class DocumentRenderer {
  readonly #maxWorkers: number;
  readonly #maxMemoryMb: number;
  readonly #idle: ChildProcess[] = [];
  readonly #queue: Job[] = [];
  #busy = 0;
  #nextId = 1;
  #closed = false;
  readonly #officeSlots: number;
  #officeRunning = 0;
  readonly #officeWaiting: (() => void)[] = [];

  constructor(options: DocumentRendererOptions = {}) {
    this.#maxWorkers = Math.max(1, options.workers ?? availableParallelism());
    this.#maxMemoryMb = options.maxMemoryMb ?? 512;
    this.#officeSlots = Math.max(1, options.officeConversions ?? 2);
  }

  async render(bytes: Uint8Array, options: RenderDocumentOptions): Promise<RenderedDocument> {
    const limits = { ...DEFAULT_RENDER_LIMITS, ...options.limits };
    const { name } = options;
    const deadline = Date.now() + limits.timeoutMs;
    if (bytes.length > limits.maxBytes) throw new DocumentTooLargeError(name, bytes.length, limits.maxBytes);
    const type = detectDocumentType(bytes);
    if (type === undefined) throw new NothingFaxableError(name);
    // Only LibreOffice Writer and Calc are installed (scripts/setup); Impress is not.
    if (type === 'pptx' || type === 'odp')
      throw new NothingFaxableError(name, 'it is a presentation; send it as a PDF');
    const family = documentFamily(type);
    let input = bytes;
    if (family === 'office') {
      // Waiting for a LibreOffice slot counts against the attachment's deadline.
      input = await this.#withOfficeSlot(() =>
        convertOfficeToPdf(bytes, {
          name,
          type,
          timeoutMs: Math.max(1, deadline - Date.now()),
          maxPdfBytes: limits.maxBytes * 4,
        }),
      );
    }
    const request: Omit<RenderRequest, 'id'> = {
      // A copy: the render process gets its own bytes, never a view into the caller's buffer.
      bytes: new Uint8Array(input),
      type: family === 'office' ? 'pdf' : family,
      name,
      resolution: options.resolution ?? 'fine',
      paperSize: options.paperSize ?? 'a4',
      mode: options.mode ?? 'halftone',
      maxPages: limits.maxPages,
      maxPixels: limits.maxPixels,
      maxHeapBytes: this.#maxMemoryMb * 1024 * 1024,
      deadline,
    };
    const response = await this.#run(request, limits.timeoutMs);
    if (!response.ok) {
      if ('failure' in response) throw fromRenderFailure(response.failure);
      throw new DocumentUnreadableError(
        name,
        'the renderer failed on it',
        undefined,
        new Error(response.crash),
      );
    }
    const pages = response.result.pages.map(ownStorage);
    const { rotatedPages } = response.result;
    const which = (page: number): string => (pages.length > 1 ? `page ${page} of ${name}` : name);
    const warnings = [
      ...rotatedPages.map((page) => `${which(page)} is landscape and was turned to portrait`),
      // Worth telling: a blank page is often a rendering surprise (white text, a missing font).
      ...pages.flatMap((page, i) => (isBlank(page) ? [`${which(i + 1)} is blank`] : [])),
    ];
    return { type, pages, warnings };
  }

  /** Stops every render process; pending renders fail. */
  close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new Error('the document renderer was closed'));
    for (const child of this.#idle.splice(0)) child.kill('SIGKILL');
    return Promise.resolve();
  }

  async #withOfficeSlot<T>(task: () => Promise<T>): Promise<T> {
    while (this.#officeRunning >= this.#officeSlots)
      await new Promise<void>((resolve) => this.#officeWaiting.push(resolve));
    this.#officeRunning++;
    try {
      return await task();
    } finally {
      this.#officeRunning--;
      this.#officeWaiting.shift()?.();
    }
  }

  #run(request: Omit<RenderRequest, 'id'>, timeoutMs: number): Promise<RenderResponse> {
    return new Promise((resolve, reject) => {
      if (this.#closed) {
        reject(new Error('the document renderer was closed'));
        return;
      }
      this.#queue.push({ request, timeoutMs, resolve, reject });
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#queue.length > 0 && (this.#idle.length > 0 || this.#busy < this.#maxWorkers)) {
      const job = this.#queue.shift()!;
      const worker = this.#idle.pop() ?? this.#spawn();
      this.#busy++;
      this.#execute(worker, job);
    }
  }

  #spawn(): ChildProcess {
    const child = fork(fileURLToPath(new URL('./worker.ts', import.meta.url)), [], {
      execArgv: [`--max-old-space-size=${this.#maxMemoryMb}`, '--max-semi-space-size=16'],
      // Structured clone carries the page bitmaps (Uint8Array) as they are.
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    // The last words of a process that dies tell an out-of-memory abort from other failures.
    const lastWords: string[] = [];
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      lastWords.push(text);
      if (lastWords.length > 20) lastWords.shift();
    });
    renderProcessOutput.set(child, lastWords);
    return child;
  }

  #execute(child: ChildProcess, job: Job): void {
    const id = this.#nextId++;
    const { name } = job.request;
    setIdle(child, false);
    let settled = false;
    const finish = (healthy: boolean, outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('error', onError);
      child.off('exit', onExit);
      this.#busy--;
      if (healthy && !this.#closed) {
        setIdle(child, true);
        this.#idle.push(child);
      } else {
        child.kill('SIGKILL');
      }
      outcome();
      this.#dispatch();
    };
    const onMessage = (response: RenderResponse): void => {
      if (response.id === id) finish(true, () => job.resolve(response));
    };
    const onError = (error: Error): void =>
      finish(false, () =>
        job.reject(new DocumentUnreadableError(name, 'the renderer failed on it', undefined, error)),
      );
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      const words = (renderProcessOutput.get(child) ?? []).join('');
      const outOfMemory = /out of memory|heap limit/i.test(words);
      finish(false, () =>
        job.reject(
          outOfMemory
            ? new RenderOutOfMemoryError(name, this.#maxMemoryMb)
            : new DocumentUnreadableError(name, `the renderer stopped on it (${signal ?? `exit ${code}`})`),
        ),
      );
    };
    const timer = setTimeout(
      () => finish(false, () => job.reject(new RenderTimeoutError(name, job.timeoutMs))),
      Math.max(0, job.request.deadline - Date.now()),
    );
    child.on('message', onMessage);
    child.on('error', onError);
    child.on('exit', onExit);
    const request: RenderRequest = { ...job.request, id };
    child.send(request);
  }
}

/**
 * A page in storage of its own. Pages arrive as views at arbitrary byte offsets into one IPC
 * message: kept as they are, any one page would keep the whole message alive, and the codec's
 * 32-bit row scan (which needs 4-byte alignment) would fall back to bytes — a copy costs less.
 */
function ownStorage(page: FaxPage): FaxPage {
  return { ...page, data: new Uint8Array(page.data) };
}

/** No black pixel, read a word at a time (a callback per byte costs ms per page); `data` is aligned. */
function isBlank(page: FaxPage): boolean {
  const { data } = page;
  const words = new Int32Array(data.buffer, data.byteOffset, data.length >> 2);
  for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
  for (let i = words.length << 2; i < data.length; i++) if (data[i] !== 0) return false;
  return true;
}

const renderProcessOutput = new WeakMap<ChildProcess, string[]>();

/** An idle render process must not keep the node's event loop alive; a busy one must. */
function setIdle(child: ChildProcess, idle: boolean): void {
  const handles = [child, child.channel, child.stderr].filter((h) => h != null) as Array<{
    ref(): void;
    unref(): void;
  }>;
  for (const handle of handles) {
    if (idle) handle.unref();
    else handle.ref();
  }
}

let shared: DocumentRenderer | undefined;

/** Renders with a process-wide renderer whose idle workers never keep the process alive. */
export function renderDocument(bytes: Uint8Array, options: RenderDocumentOptions): Promise<RenderedDocument> {
  shared ??= new DocumentRenderer();
  return shared.render(bytes, options);
}
