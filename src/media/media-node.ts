// The media side of one node: a pool of media worker threads, a UDP port range, and a cap on
// concurrent channels. The SIP layer asks it for a channel (gets the local port for its SDP),
// connects it to the peer's address once SDP is agreed, and gets the fax events back here.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  faxErrorFromCompletion,
  T30_ERR_CALLDROPPED,
  type FaxResult,
  type NativeStats,
} from '../fax/index.ts';
import type { Endpoint, FaxChannelEvents, FaxChannelSpec, FaxChannelStats } from './channel.ts';
import { MediaCapacityError, PortAllocator } from './ports.ts';
import type { FromWorker, MediaWorkerData, ToWorker, WireResult, WorkerStats } from './worker-protocol.ts';

export interface MediaNodeOptions {
  /** Address media sockets bind to (and that SDP announces). */
  readonly host: string;
  readonly portMin: number;
  readonly portMax: number;
  /** Concurrent channels this node accepts; beyond it openChannel throws MediaCapacityError. */
  readonly maxChannels: number;
  /** Media worker threads; default: one per CPU. */
  readonly workers?: number;
  /** Each worker spreads its channels over this many evenly spaced wake-ups per 20 ms tick, so
   * one wake-up does a fraction of the work and sends a fraction of the datagrams (default 4). */
  readonly tickPhases?: number;
}

const DEFAULT_TICK_PHASES = 4;

export interface ChannelOutcome {
  readonly result: FaxResult;
  readonly channel: FaxChannelStats;
  /** Receiving: why `job.file` could not be written (the pages did reach onPageConfirmed). */
  readonly fileError?: string;
}

interface WorkerEntry {
  readonly worker: Worker;
  channels: number;
}

interface ChannelEntry {
  readonly worker: WorkerEntry;
  port: number;
  /** Pages confirmed so far: what a dropped call still delivered. */
  pages: number;
  readonly events: FaxChannelEvents;
  opened?: { resolve(port: number): void; reject(error: Error): void };
  finished: { resolve(outcome: ChannelOutcome): void };
}

/** A channel living in a media worker, driven from the main thread. */
export class MediaChannel {
  readonly id: number;
  readonly localPort: number;
  /** Settles when the fax ends, however it ends. */
  readonly finished: Promise<ChannelOutcome>;
  private readonly node: MediaNode;

  constructor(node: MediaNode, id: number, localPort: number, finished: Promise<ChannelOutcome>) {
    this.node = node;
    this.id = id;
    this.localPort = localPort;
    this.finished = finished;
  }

  connect(remote: Endpoint): void {
    this.node.send(this.id, { type: 'connect', id: this.id, remote });
  }

  hangUp(): void {
    this.node.send(this.id, { type: 'hangup', id: this.id });
  }
}

function resultFromWire(wire: WireResult): FaxResult {
  const stats = wire.stats ?? ({} as NativeStats);
  if (wire.ok)
    return { ok: true, code: wire.code, text: wire.text, pagesConfirmed: wire.pagesConfirmed, stats };
  const error = faxErrorFromCompletion(wire.code, wire.text, wire.pagesConfirmed);
  return { ok: false, code: wire.code, text: wire.text, pagesConfirmed: wire.pagesConfirmed, stats, error };
}

const BIND_ATTEMPTS = 8;

export class MediaNode {
  private readonly options: MediaNodeOptions;
  private readonly ports: PortAllocator;
  private readonly workers: WorkerEntry[] = [];
  private readonly channels = new Map<number, ChannelEntry>();
  private readonly statsRequests = new Map<number, (stats: WorkerStats) => void>();
  private nextId = 1;

  private constructor(options: MediaNodeOptions) {
    this.options = options;
    this.ports = new PortAllocator(options.portMin, options.portMax);
  }

  static async start(options: MediaNodeOptions): Promise<MediaNode> {
    const node = new MediaNode(options);
    const count = Math.max(1, options.workers ?? os.availableParallelism());
    for (let i = 0; i < count; i++) {
      const workerData: MediaWorkerData = { tickPhases: options.tickPhases ?? DEFAULT_TICK_PHASES };
      const worker = new Worker(new URL('./media-worker.ts', import.meta.url), { workerData });
      const entry: WorkerEntry = { worker, channels: 0 };
      worker.on('message', (message: FromWorker) => node.onWorkerMessage(message));
      worker.on('error', (error: Error) => node.onWorkerFailed(entry, error));
      node.workers.push(entry);
      await new Promise<void>((resolve) => worker.once('online', () => resolve()));
    }
    return node;
  }

  get activeChannels(): number {
    return this.channels.size;
  }

  /** Opens a channel on the least-loaded worker; resolves once its socket is bound. */
  async openChannel(spec: FaxChannelSpec, events: FaxChannelEvents = {}): Promise<MediaChannel> {
    if (this.channels.size >= this.options.maxChannels) {
      throw new MediaCapacityError(`media capacity reached (${this.options.maxChannels} channels)`, {
        wire: { sip: 503 },
      });
    }
    const worker = this.workers.reduce((a, b) => (b.channels < a.channels ? b : a));
    const id = this.nextId++;
    let resolveFinished!: (outcome: ChannelOutcome) => void;
    const finished = new Promise<ChannelOutcome>((resolve) => (resolveFinished = resolve));
    const entry: ChannelEntry = { worker, port: 0, pages: 0, events, finished: { resolve: resolveFinished } };
    this.channels.set(id, entry);
    worker.channels += 1;
    for (let attempt = 1; ; attempt++) {
      entry.port = this.ports.allocate();
      try {
        const port = await new Promise<number>((resolve, reject) => {
          entry.opened = { resolve, reject };
          worker.worker.postMessage({
            type: 'open',
            id,
            host: this.options.host,
            port: entry.port,
            spec,
          } satisfies ToWorker);
        });
        return new MediaChannel(this, id, port, finished);
      } catch (error) {
        this.ports.release(entry.port);
        const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (!inUse || attempt >= BIND_ATTEMPTS) {
          this.forget(id);
          throw error;
        }
      }
    }
  }

  /** Clock and load figures from every worker; `resetMaxLateness` starts a new worst-case window. */
  async workerStats(resetMaxLateness = false): Promise<WorkerStats[]> {
    return Promise.all(
      this.workers.map(
        (w) =>
          new Promise<WorkerStats>((resolve) => {
            const requestId = this.nextId++;
            this.statsRequests.set(requestId, resolve);
            w.worker.postMessage({ type: 'stats', requestId, resetMaxLateness } satisfies ToWorker);
          }),
      ),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        w.worker.postMessage({ type: 'stop' } satisfies ToWorker);
        await w.worker.terminate();
      }),
    );
    this.workers.length = 0;
  }

  /** @internal used by MediaChannel */
  send(id: number, message: ToWorker): void {
    this.channels.get(id)?.worker.worker.postMessage(message);
  }

  private forget(id: number): void {
    const entry = this.channels.get(id);
    if (!entry) return;
    this.channels.delete(id);
    entry.worker.channels -= 1;
    this.ports.release(entry.port);
  }

  private onWorkerMessage(message: FromWorker): void {
    if (message.type === 'stats') {
      this.statsRequests.get(message.requestId)?.(message.stats);
      this.statsRequests.delete(message.requestId);
      return;
    }
    const entry = this.channels.get(message.id);
    if (!entry) return;
    switch (message.type) {
      case 'opened':
        entry.opened?.resolve(message.port);
        return;
      case 'openFailed':
        entry.opened?.reject(Object.assign(new Error(message.message), { code: message.code }));
        return;
      case 'negotiated':
        entry.events.onNegotiated?.(message.negotiated);
        return;
      case 'tone':
        entry.events.onTone?.(message.tone);
        return;
      case 'page':
        entry.pages += 1;
        entry.events.onPageConfirmed?.(message.page);
        return;
      case 'completed': {
        const result = resultFromWire(message.result);
        this.forget(message.id);
        entry.events.onCompleted?.(result);
        entry.finished.resolve({
          result,
          channel: message.channel,
          ...(message.fileError ? { fileError: message.fileError } : {}),
        });
        return;
      }
    }
  }

  private onWorkerFailed(worker: WorkerEntry, error: Error): void {
    // The worker's sockets and SpanDSP sessions are gone: every fax on it has dropped.
    for (const [id, entry] of this.channels) {
      if (entry.worker !== worker) continue;
      const result = resultFromWire({
        ok: false,
        code: T30_ERR_CALLDROPPED,
        text: `media worker failed: ${error.message}`,
        pagesConfirmed: entry.pages,
      });
      this.forget(id);
      entry.events.onCompleted?.(result);
      entry.finished.resolve({
        result,
        channel: { packetsIn: 0, packetsOut: 0, malformedIn: 0, recovered: 0, lost: 0 },
      });
    }
  }
}
