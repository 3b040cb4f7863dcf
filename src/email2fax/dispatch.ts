// The outbound job's placeCall and hangUp effects, on the node that owns the job. A call is not
// placed here: it is published to the cluster's work queue of a trunk (whose consumers' shared
// `max_ack_pending` caps that trunk's channels across every node) and executed by whichever node
// takes it. This effect waits for the call's durable result in Redis, whoever executed it, then
// replays the pages that call confirmed to the job (events are idempotent) and returns the outcome.
// A new owner after a takeover runs this again with the same key and its own epoch: it publishes
// work under that epoch, which an executor still holding the old call waits out (see executor.ts).
// A trunk that fails as a carrier (5xx, no response) hands the call to the next trunk.
import type { CallOutcome, OutboundFaxJobContext, PlaceCallParams, Transport } from '../../actors/index.ts';
import type { ActorEvent, ActorView, EffectContext, WorkQueue } from '../../cluster/index.ts';
import type { Logger } from '../observability/index.ts';
import type { ExpiringLocks } from '../outbound/index.ts';
import type { CallSignals } from './call-signals.ts';
import type { CallResult, OutboundRecords } from './records.ts';

/** What an executor needs to place one call; progress (the first unconfirmed page) is read when it dials. */
export interface CallWork {
  readonly jobId: string;
  /** The placeCall effect's key: the same on every retry and every owner. */
  readonly key: string;
  /** The publishing owner's epoch: work from an owner that has since lost the job is dropped. */
  readonly epoch: number;
  readonly attempt: number;
  readonly trunk: string;
  readonly transport: Transport;
  readonly ecm: boolean;
  readonly maxBitRate: number;
}

/** The job actors as the outbound service reads and tells them (the cluster host does both). */
export interface JobActors {
  read(jobId: string): Promise<ActorView | undefined>;
  send(jobId: string, event: ActorEvent): Promise<void>;
}

/** One call execution's name: its claim, its result and its end notice are keyed by it. */
export function callName(effectKey: string, trunk: string): string {
  return `${effectKey}@${trunk}`;
}

export interface CallDispatcherOptions {
  readonly queue: Pick<WorkQueue, 'publish'>;
  /** Trunk names in the order they are tried. */
  readonly trunks: readonly string[];
  readonly records: OutboundRecords;
  /** Held by the node executing a call while it runs. */
  readonly claims: ExpiringLocks;
  readonly signals: CallSignals;
  readonly jobs: JobActors;
  readonly logger: Logger;
  readonly clock?: () => number;
  /** How often the result is checked without a notice (NATS may lose one). */
  readonly pollMs?: number;
}

export class CallDispatcher {
  readonly #options: CallDispatcherOptions;

  constructor(options: CallDispatcherOptions) {
    this.#options = options;
  }

  /** The placeCall effect. */
  async place(effect: EffectContext): Promise<CallOutcome> {
    const { trunks, logger } = this.#options;
    const params = effect.params as PlaceCallParams;
    if (trunks.length === 0) return { kind: 'congestion', endedAt: (this.#options.clock ?? Date.now)() };
    let result: CallResult | undefined;
    for (const [index, trunk] of trunks.entries()) {
      result = await this.#awaitCall(effect, params, trunk);
      if (!result.trunkFailed || index === trunks.length - 1) break;
      logger.warn(
        { jobId: params.jobId, trunk, outcome: result.outcome.kind },
        'trunk failed; trying the next',
      );
    }
    await this.#replay(params.jobId, result!);
    return result!.outcome;
  }

  /** The hangUp effect: whichever node runs the job's call drops it. */
  hangUp(effect: EffectContext): Promise<null> {
    this.#options.signals.hangUp((effect.params as { jobId: string }).jobId);
    return Promise.resolve(null);
  }

  async #awaitCall(effect: EffectContext, params: PlaceCallParams, trunk: string): Promise<CallResult> {
    const { queue, records, claims, signals } = this.#options;
    const call = callName(effect.key, trunk);
    const work: CallWork = {
      jobId: params.jobId,
      key: effect.key,
      epoch: effect.epoch,
      attempt: params.attempt,
      trunk,
      transport: params.transport,
      ecm: params.ecm,
      maxBitRate: params.maxBitRate,
    };
    let generation = 0;
    let executorSeen = false;
    for (;;) {
      effect.signal.throwIfAborted();
      const result = await records.callResult(effect.key, trunk);
      if (result) return result;
      const executing = (await claims.holder(call)) !== undefined;
      // At once on our first look — after a takeover the old executor's claim may still be
      // lapsing, and a waiting executor starts the moment it has — and again whenever an
      // executor vanished without a result.
      if (generation === 0 || (executorSeen && !executing)) {
        await queue.publish(trunk, `${call}@${effect.epoch}#${generation}`, work);
        generation += 1;
      }
      executorSeen = executing;
      await signals.ended(call, this.#options.pollMs ?? 1_000, effect.signal);
    }
  }

  /** What the call reported live may not have reached the job (its owner changed): say what is missing. */
  async #replay(jobId: string, result: CallResult): Promise<void> {
    const { jobs } = this.#options;
    const context = (await jobs.read(jobId))?.context as OutboundFaxJobContext | undefined;
    if (result.remoteStationId && context?.remoteStationId !== result.remoteStationId)
      await jobs.send(jobId, { type: 'call.answered', remoteStationId: result.remoteStationId });
    for (const page of result.confirmedPages)
      if (page > (context?.pagesConfirmed ?? 0)) await jobs.send(jobId, { type: 'call.pageConfirmed', page });
  }
}
