// Executes outbound fax calls taken from the cluster's per-trunk work queues, on any node. For one
// piece of work it (1) drops it when the call already has a result, the job has moved on, or the
// work was published by an owner that has since lost the job (an older epoch); (2) claims the call
// (an expiring lock on its name, extended every half second — a dead executor's claim lapses
// within two seconds) and the destination number (one call per number across the cluster); either
// held by someone else sends the work back to the queue for later; (3) reads the job's progress
// NOW — a work item's parameters may be older than the pages confirmed since — and sends from the
// first unconfirmed page, after a continuation cover page; (4) dials through the work's trunk with
// `X-Fax-Job: <job>;attempt=<n>;epoch=<e>`, T.38 or audio and the speed/ECM the job and what was
// learnt about the number allow; (5) tells the job of ringing, answer and each confirmed page as
// they happen (host.send reaches the owner wherever it is), and (6) writes the call's result to
// Redis for the waiting placeCall effect. An executor that loses its claim stops its call at once:
// someone else may be about to place it.
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CallOutcome, OutboundFaxJobContext } from '../../actors/index.ts';
import {
  FaxswitchError,
  isRetryable,
  RetryableError,
  TerminalError,
  type ActorEvent,
  type ActorView,
  type WorkQueue,
} from '../../cluster/index.ts';
import type { FaxArchive } from '../archive/index.ts';
import { writeTiff } from '../documents/index.ts';
import type { FaxModem, FaxNegotiated } from '../fax/index.ts';
import { FaxCallLeg } from '../fax-call/index.ts';
import { MediaCapacityError, type MediaNode, type T38SdpParams } from '../media/index.ts';
import type { Logger } from '../observability/index.ts';
import type {
  ClusterPacer,
  DestinationKnowledge,
  DestinationLocks,
  ExpiringLocks,
  HeldLock,
} from '../outbound/index.ts';
import {
  CallBusyError,
  CongestionError,
  isTrunkFailure,
  NoAnswerError,
  type CallControl,
  type TrunkConfig,
} from '../sip/index.ts';
import type { CallSignals } from './call-signals.ts';
import { callName, type CallWork, type JobActors } from './dispatch.ts';
import type { OutboundMetrics } from './outbound-metrics.ts';
import { attemptPages, loadJob, type PageLayout } from './pages.ts';
import type { CallAttempt, OutboundRecords } from './records.ts';

export interface CallExecutorOptions {
  readonly queue: WorkQueue;
  readonly trunks: readonly TrunkConfig[];
  /** Calls per trunk this node runs at once (never more than the trunk's channels). */
  readonly slotsPerTrunk: number;
  readonly jobs: JobActors;
  readonly records: OutboundRecords;
  readonly claims: ExpiringLocks;
  readonly destinations: DestinationLocks;
  /** Each trunk's calls-per-second, kept across the cluster. */
  readonly pacer: ClusterPacer;
  readonly knowledge: DestinationKnowledge;
  readonly archive: FaxArchive;
  readonly calls: CallControl;
  readonly media: MediaNode;
  readonly mediaAddress: string;
  /** Our T.38 parameters; undefined keeps every call on G.711. */
  readonly t38: T38SdpParams | undefined;
  /** Where the page file of a call in progress lives (plaintext: deleted when the call ends). */
  readonly callsDir: string;
  readonly layout: PageLayout;
  readonly signals: CallSignals;
  readonly nodeName: string;
  readonly logger: Logger;
  readonly metrics: OutboundMetrics;
  readonly clock?: () => number;
}

/** How often the claims of a running call are extended. */
const KEEP_ALIVE_MS = 500;
/** Waiting for a busy number: about as long as its lock lives without extension. */
const DESTINATION_BUSY_RETRY_MS = 2_000;
/** Time for SIP set-up and T.30 training, plus per page even at 2400 bit/s. */
const CALL_BASE_MS = 180_000;
const CALL_PER_PAGE_MS = 120_000;
/** How long a finished call's result is retried into Redis before the work goes back. */
const RESULT_WRITE_ATTEMPTS = 8;

const CANCELLED = 'cancelled by the job';

export class CallExecutor {
  readonly #options: CallExecutorOptions;
  readonly #clock: () => number;
  /** Calls running here, by job: a cancel aborts them. */
  readonly #live = new Map<string, AbortController>();
  #consumers: Promise<void>[] = [];

  constructor(options: CallExecutorOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
    options.signals.onHangUp((jobId) => this.#live.get(jobId)?.abort(new Error(CANCELLED)));
  }

  /** Starts taking work from every trunk's queue. */
  start(): void {
    const { queue, trunks, slotsPerTrunk } = this.#options;
    this.#consumers = trunks.map((trunk) =>
      queue.consume(trunk.name, Math.max(1, Math.min(slotsPerTrunk, trunk.maxChannels)), (item) =>
        this.#execute(item.data as CallWork),
      ),
    );
  }

  get activeCalls(): number {
    return this.#live.size;
  }

  /**
   * Stops taking work and lets calls in progress finish until `deadline` (ms), then drops the rest:
   * their work returns to the queue and a peer resumes them from the first unconfirmed page.
   */
  async stop(deadline: number): Promise<void> {
    const stopped = this.#options.queue.stop();
    while (this.#live.size > 0 && this.#clock() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const controller of this.#live.values()) controller.abort(new Error('node shutting down'));
    await stopped;
    await Promise.allSettled(this.#consumers);
  }

  async #execute(work: CallWork): Promise<void> {
    const { records, jobs, claims, destinations, logger, nodeName } = this.#options;
    const call = callName(work.key, work.trunk);
    const log = logger.child({ jobId: work.jobId, call, epoch: work.epoch });
    if (await records.callResult(work.key, work.trunk)) return;
    const view = await jobs.read(work.jobId);
    if (!view || !view.pendingEffects.includes(work.key)) return; // the job has moved on
    if (work.epoch < view.epoch) {
      log.info({ current: view.epoch }, 'dropping call work of an earlier owner of the job');
      return;
    }
    const token = `${nodeName}:${randomBytes(6).toString('hex')}`;
    const claim = await claims.tryAcquire(call, token);
    if (!claim) {
      throw new RetryableError('the call is running on another node', {
        retryAfterMs: (await claims.remainingMs(call)) + 100,
      });
    }
    try {
      // The previous holder may have finished between our first look and the claim.
      if (await records.callResult(work.key, work.trunk)) return;
      const context = view.context as OutboundFaxJobContext;
      const line = await destinations.tryAcquire(context.destination, token);
      if (!line) {
        // A call of ours that just died frees the number within the lock's lifetime; a live one
        // keeps extending it, and we look again then.
        throw new RetryableError(`another call is on ${context.destination}`, {
          retryAfterMs: Math.min(
            DESTINATION_BUSY_RETRY_MS,
            (await destinations.remainingMs(context.destination)) + 100,
          ),
        });
      }
      try {
        await this.#run(work, view, [claim, line], log);
      } finally {
        await line.release().catch(() => undefined);
      }
    } finally {
      await claim.release().catch(() => undefined);
    }
  }

  async #run(work: CallWork, view: ActorView, held: readonly HeldLock[], log: Logger): Promise<void> {
    const context = view.context as OutboundFaxJobContext;
    const controller = new AbortController();
    this.#live.set(work.jobId, controller);
    const lost = new Error('lost the claim on this call');
    const keepAlive = setInterval(() => {
      if (held.some((lock) => performance.now() > lock.validUntil)) controller.abort(lost);
      void Promise.all(held.map((lock) => lock.extend())).then(
        (extended) => extended.every(Boolean) || controller.abort(lost),
        () => undefined, // Redis away: validUntil decides
      );
    }, KEEP_ALIVE_MS);
    this.#options.metrics.activeCalls.inc();
    try {
      const fromPage = context.pagesConfirmed + 1;
      const startedAt = this.#clock();
      const report = new CallReport(this.#options.jobs, work.jobId, log, this.#clock);
      let outcome: CallOutcome;
      let trunkFailed = false;
      let transport: 't38' | 'audio' | undefined;
      if (context.cancelRequested) outcome = { kind: 'cancelled', endedAt: startedAt };
      else {
        const placed = await this.#place(work, context, fromPage, report, controller.signal, log).catch(
          (error: unknown) => this.#unplaced(error, controller.signal),
        );
        ({ outcome, trunkFailed } = placed);
        transport = placed.transport;
      }
      if (controller.signal.reason === lost) throw new RetryableError(lost.message);
      await report.delivered();
      const attempt: CallAttempt = {
        attempt: work.attempt,
        epoch: work.epoch,
        trunk: work.trunk,
        node: this.#options.nodeName,
        fromPage,
        transport,
        startedAt,
        connectedMs: report.answeredAt === undefined ? 0 : outcome.endedAt - report.answeredAt,
        outcome,
      };
      await this.#recordResult(work, attempt, {
        outcome,
        confirmedPages: report.pages,
        remoteStationId: report.station,
        trunkFailed,
      });
      this.#options.metrics.calls.inc({ outcome: outcome.kind });
      log.info({ outcome: outcome.kind, pages: report.pages, trunk: work.trunk }, 'outbound call ended');
    } finally {
      clearInterval(keepAlive);
      this.#options.metrics.activeCalls.dec();
      if (this.#live.get(work.jobId) === controller) this.#live.delete(work.jobId);
    }
  }

  /** Dials and sends from `fromPage`; SIP failures throw (see #unplaced). */
  async #place(
    work: CallWork,
    context: OutboundFaxJobContext,
    fromPage: number,
    report: CallReport,
    signal: AbortSignal,
    log: Logger,
  ): Promise<{ outcome: CallOutcome; trunkFailed: boolean; transport: 't38' | 'audio' }> {
    const { archive, records, layout, knowledge, callsDir, media, mediaAddress, calls } = this.#options;
    const { job, submission, pages } = await loadJob(records, archive, work.jobId, layout);
    if (fromPage > pages.length)
      return {
        outcome: { kind: 'completed', endedAt: this.#clock() },
        trunkFailed: false,
        transport: 'audio',
      };
    const attempt = await attemptPages(pages, fromPage, { job, submission }, layout);
    const learned = await knowledge.settingsFor(context.destination);
    const audioOnly = work.transport === 'audio' || learned?.transport === 'audio' || !this.#options.t38;
    const ecm = work.ecm && (learned?.ecm ?? true);
    const maxBitRate = Math.min(work.maxBitRate, learned?.maxBitRate ?? 14_400);
    const file = path.join(callsDir, `${work.jobId}.${randomBytes(4).toString('hex')}.tif`);
    await writeFile(file, writeTiff([...attempt.pages]), { mode: 0o600 });
    let negotiated: FaxNegotiated | undefined;
    try {
      // A carrier's calls-per-second limit holds for the cluster: this call waits for its place in
      // the trunk's pace (its claims are kept alive meanwhile) instead of failing as congestion.
      const trunk = this.#options.trunks.find((candidate) => candidate.name === work.trunk);
      if (trunk) {
        const waitedMs = await this.#options.pacer.take(`trunk:${trunk.name}`, trunk.callsPerSecond, signal);
        this.#options.metrics.paceWait.inc({ trunk: trunk.name }, waitedMs / 1000);
        if (waitedMs >= 1000)
          log.info({ trunk: trunk.name, waitedMs }, "waited for the trunk's calls per second");
      }
      const leg = await FaxCallLeg.open({
        media,
        address: mediaAddress,
        job: {
          direction: 'send',
          file,
          ecm,
          modems: modemsUpTo(maxBitRate),
          ident: stationIdent(submission.callerId),
        },
        calling: true,
        t38: audioOnly || !this.#options.t38 ? undefined : { ...this.#options.t38, maxBitRate },
        events: {
          onNegotiated: (fax) => {
            negotiated = fax;
            report.answered(fax.remoteIdent);
          },
          onPageConfirmed: (confirmed) => {
            const page = attempt.documentPageOf(confirmed.pageNumber);
            if (page === undefined) return;
            this.#options.metrics.pages.inc();
            report.pageConfirmed(page);
          },
        },
      });
      log.info(
        { destination: context.destination, trunk: work.trunk, fromPage, audioOnly, ecm, maxBitRate },
        'placing outbound fax call',
      );
      try {
        const session = await calls.dial({
          to: context.destination,
          callerId: { number: submission.callerId },
          sdp: leg.audioSdp(),
          job: { job: work.jobId, attempt: work.attempt, epoch: work.epoch },
          trunk: work.trunk,
          paced: trunk !== undefined,
          signal,
          onProvisional: (provisional) => {
            if (provisional.status === 180 || provisional.status === 183) report.ringing();
          },
        });
        report.answered(undefined);
        leg.attach(session);
      } catch (error) {
        leg.abort();
        await leg.finished();
        throw error;
      }
      const abort = (): void => leg.abort();
      signal.addEventListener('abort', abort, { once: true });
      const deadline = setTimeout(abort, CALL_BASE_MS + CALL_PER_PAGE_MS * attempt.pages.length);
      try {
        const ended = await leg.finished();
        await leg.hangup();
        const endedAt = this.#clock();
        if (ended.result.ok) {
          await knowledge
            .recordSuccess(context.destination, {
              transport: ended.media,
              ecm: negotiated?.ecm ?? ecm,
              maxBitRate: negotiated?.bitRate ?? maxBitRate,
            })
            .catch((error: unknown) => log.warn({ err: error }, 'could not remember what worked'));
          return { outcome: { kind: 'completed', endedAt }, trunkFailed: false, transport: ended.media };
        }
        const outcome: CallOutcome = isCancel(signal)
          ? { kind: 'cancelled', endedAt }
          : {
              kind: 'fax-failed',
              reason: ended.result.text,
              retryable: ended.result.error === undefined || isRetryable(ended.result.error),
              endedAt,
            };
        return { outcome, trunkFailed: false, transport: ended.media };
      } finally {
        clearTimeout(deadline);
        signal.removeEventListener('abort', abort);
      }
    } finally {
      await rm(file, { force: true });
    }
  }

  /** A call that never connected: the SIP answer as an outcome, or the work goes back to the queue. */
  #unplaced(
    error: unknown,
    signal: AbortSignal,
  ): { outcome: CallOutcome; trunkFailed: boolean; transport: undefined } {
    const endedAt = this.#clock();
    const as = (
      outcome: CallOutcome,
    ): { outcome: CallOutcome; trunkFailed: boolean; transport: undefined } => ({
      outcome,
      trunkFailed: isTrunkFailure(error),
      transport: undefined,
    });
    if (isCancel(signal)) return as({ kind: 'cancelled', endedAt });
    if (error instanceof CallBusyError) return as({ kind: 'busy', endedAt, ...retryAfter(error) });
    if (error instanceof NoAnswerError) return as({ kind: 'no-answer', endedAt });
    if (error instanceof CongestionError) return as({ kind: 'congestion', endedAt, ...retryAfter(error) });
    if (error instanceof FaxswitchError && error.wire.sip !== undefined)
      return as({ kind: 'rejected', sipStatus: error.wire.sip, reason: error.message, endedAt });
    // A job whose pages are gone can never be sent: it fails rather than waiting forever.
    if (error instanceof TerminalError)
      return as({ kind: 'fax-failed', reason: error.message, retryable: false, endedAt });
    if (error instanceof MediaCapacityError)
      throw new RetryableError('no media channel free on this node', { cause: error, retryAfterMs: 1_000 });
    throw error;
  }

  async #recordResult(
    work: CallWork,
    attempt: CallAttempt,
    result: Parameters<OutboundRecords['recordCall']>[2],
  ): Promise<void> {
    const { records, signals } = this.#options;
    for (let tries = 1; ; tries += 1) {
      try {
        await records.recordCall(work.jobId, work.key, result, attempt);
        break;
      } catch (error) {
        if (tries >= RESULT_WRITE_ATTEMPTS) throw error;
        await new Promise((r) => setTimeout(r, 100 * 2 ** tries));
      }
    }
    signals.callEnded(callName(work.key, work.trunk));
  }
}

/** What the job hears of its call as it happens, in call order, each step persisted before the next. */
class CallReport {
  readonly pages: number[] = [];
  station: string | undefined;
  answeredAt: number | undefined;
  readonly #jobs: JobActors;
  readonly #jobId: string;
  readonly #log: Logger;
  readonly #clock: () => number;
  #queue: Promise<void> = Promise.resolve();

  constructor(jobs: JobActors, jobId: string, log: Logger, clock: () => number) {
    this.#jobs = jobs;
    this.#jobId = jobId;
    this.#log = log;
    this.#clock = clock;
  }

  ringing(): void {
    this.#tell({ type: 'call.ringing' });
  }

  answered(station: string | undefined): void {
    this.answeredAt ??= this.#clock();
    if (station) this.station = station;
    this.#tell({ type: 'call.answered', ...(station ? { remoteStationId: station } : {}) });
  }

  pageConfirmed(page: number): void {
    this.pages.push(page);
    this.#tell({ type: 'call.pageConfirmed', page }, () =>
      this.#log.info({ page }, 'outbound page confirmed and recorded'),
    );
  }

  /** Settles when everything told so far was persisted (or given up: the result repeats it). */
  delivered(): Promise<void> {
    return this.#queue;
  }

  #tell(event: ActorEvent, after?: () => void): void {
    this.#queue = this.#queue.then(async () => {
      try {
        await this.#jobs.send(this.#jobId, event);
        after?.();
      } catch (error) {
        // The owner is changing hands: the call's result carries the pages to the new one.
        this.#log.warn({ err: error, event: event.type }, 'could not tell the job; its result will');
      }
    });
  }
}

function isCancel(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof Error && signal.reason.message === CANCELLED;
}

function retryAfter(error: RetryableError): { retryAfterMs?: number } {
  return error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs };
}

/** The modems that reach at most `bitRate`: V.17 to 14400, V.29 to 9600, V.27ter to 4800. */
export function modemsUpTo(bitRate: number): FaxModem[] {
  if (bitRate > 9_600) return ['v17', 'v29', 'v27ter'];
  if (bitRate > 4_800) return ['v29', 'v27ter'];
  return ['v27ter'];
}

/** A T.30 station id: at most 20 printable ASCII characters. */
function stationIdent(callerId: string): string {
  return callerId.replace(/[^\x20-\x7e]/g, '').slice(0, 20);
}
