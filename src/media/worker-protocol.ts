// Messages between a MediaNode (main thread) and its media workers. Plain structured-clone data
// only: typed errors are rebuilt on the main side from their completion code.
import type { ConfirmedPage, ConnectTone, FaxNegotiated, NativeStats } from '../fax/index.ts';
import type { Endpoint, FaxChannelSpec, FaxChannelStats } from './channel.ts';
import type { ClockStats } from './clock.ts';

/** What a media worker is started with (`workerData`). */
export interface MediaWorkerData {
  /** Evenly spaced wake-ups per 20 ms tick, each ticking its own share of the channels. */
  readonly tickPhases: number;
}

export type ToWorker =
  | {
      readonly type: 'open';
      readonly id: number;
      readonly host: string;
      readonly port: number;
      readonly spec: FaxChannelSpec;
    }
  | { readonly type: 'connect'; readonly id: number; readonly remote: Endpoint }
  | { readonly type: 'hangup'; readonly id: number }
  | { readonly type: 'stats'; readonly requestId: number; readonly resetMaxLateness?: boolean }
  | { readonly type: 'stop' };

export interface WireResult {
  readonly ok: boolean;
  readonly code: number;
  readonly text: string;
  readonly pagesConfirmed: number;
  /** Absent when the channel ended before SpanDSP reported phase E. */
  readonly stats?: NativeStats;
}

export interface WorkerStats {
  readonly clock: ClockStats;
  readonly channels: number;
  /** Share of wall time the worker's event loop was busy since the previous stats request (0…1). */
  readonly utilization: number;
}

export type FromWorker =
  | { readonly type: 'opened'; readonly id: number; readonly port: number }
  | {
      readonly type: 'openFailed';
      readonly id: number;
      readonly code: string | undefined;
      readonly message: string;
    }
  | { readonly type: 'negotiated'; readonly id: number; readonly negotiated: FaxNegotiated }
  | { readonly type: 'page'; readonly id: number; readonly page: ConfirmedPage }
  | { readonly type: 'tone'; readonly id: number; readonly tone: ConnectTone }
  | {
      readonly type: 'completed';
      readonly id: number;
      readonly result: WireResult;
      readonly channel: FaxChannelStats;
      /** Receiving: why the received TIFF file could not be written (the pages did reach the hook). */
      readonly fileError?: string;
    }
  | { readonly type: 'stats'; readonly requestId: number; readonly stats: WorkerStats };
