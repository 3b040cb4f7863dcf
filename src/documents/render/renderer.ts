// The one entry point that turns an attachment into fax pages: identifies the type from content,
// applies the limits, converts office documents with LibreOffice (subprocess), and renders in a
// pool of worker threads that are terminated on their deadline and have a capped heap. Callers
// get pages at exact fax geometry, or a DocumentRefusedError that says what to fix.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
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
  /** Worker threads rendering at once (default: one per core). */
  readonly workers?: number;
  /** V8 heap cap of each worker; PDFium's WASM heap is checked against the same figure. */
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
  readonly #idle: Worker[] = [];
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
      // A copy (Buffer#slice would share memory) whose own buffer is moved to the worker.
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
    const { pages, rotatedPages } = response.result;
    const which = (page: number): string => (pages.length > 1 ? `page ${page} of ${name}` : name);
    const warnings = [
      ...rotatedPages.map((page) => `${which(page)} is landscape and was turned to portrait`),
      // Worth telling: a blank page is often a rendering surprise (white text, a missing font).
      ...pages.flatMap((page, i) =>
        page.data.some((byte) => byte !== 0) ? [] : [`${which(i + 1)} is blank`],
      ),
    ];
    return { type, pages, warnings };
  }

  /** Terminates every worker; pending renders fail. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new Error('the document renderer was closed'));
    await Promise.all(this.#idle.splice(0).map((worker) => worker.terminate()));
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

  #spawn(): Worker {
    return new Worker(new URL('./worker.ts', import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: this.#maxMemoryMb, maxYoungGenerationSizeMb: 64 },
    });
  }

  #execute(worker: Worker, job: Job): void {
    const id = this.#nextId++;
    const { name } = job.request;
    worker.ref();
    let settled = false;
    const finish = (healthy: boolean, outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      this.#busy--;
      if (healthy && !this.#closed) {
        worker.unref();
        this.#idle.push(worker);
      } else {
        void worker.terminate();
      }
      outcome();
      this.#dispatch();
    };
    const onMessage = (response: RenderResponse): void => {
      if (response.id === id) finish(true, () => job.resolve(response));
    };
    const onError = (error: Error & { code?: string }): void => {
      const refused =
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new RenderOutOfMemoryError(name, this.#maxMemoryMb)
          : new DocumentUnreadableError(name, 'the renderer failed on it', undefined, error);
      finish(false, () => job.reject(refused));
    };
    const onExit = (): void =>
      finish(false, () => job.reject(new DocumentUnreadableError(name, 'the renderer stopped on it')));
    const timer = setTimeout(
      () => finish(false, () => job.reject(new RenderTimeoutError(name, job.timeoutMs))),
      Math.max(0, job.request.deadline - Date.now()),
    );
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    const request: RenderRequest = { ...job.request, id };
    worker.postMessage(request, [request.bytes.buffer as ArrayBuffer]);
  }
}

let shared: DocumentRenderer | undefined;

/** Renders with a process-wide renderer whose idle workers never keep the process alive. */
export function renderDocument(bytes: Uint8Array, options: RenderDocumentOptions): Promise<RenderedDocument> {
  shared ??= new DocumentRenderer();
  return shared.render(bytes, options);
}
