// The 20 ms media clock. Each tick is scheduled against an absolute deadline (no drift); when the
// event loop wakes late, missed ticks run back to back (catch-up) so fax timing stays in step, up to
// a bound beyond which they are skipped and counted. Ticks that start more than `lateMs` after
// their deadline are counted too: that is the health signal of a media worker.
//
// On a shared host a tick can be late without any fault of ours: the kernel did not run the thread.
// Where Linux tells how long the thread waited for a CPU (schedstat), that wait is taken off the
// lateness, and what is left counts as `lateOwn`: lateness our own work on this thread caused.
import { closeSync, openSync, readSync } from 'node:fs';
import { TICK_MS } from '../fax/index.ts';

export interface ClockDeps {
  readonly now: () => number;
  readonly setTimer: (fn: () => void, ms: number) => unknown;
  readonly clearTimer: (handle: unknown) => void;
  /** Time this thread has spent runnable but waiting for a CPU so far, in ms. */
  readonly runQueueWaitMs?: () => number;
}

/** Reads the run-queue wait of the calling thread from /proc/thread-self/schedstat ("run wait
 * slices", in ns). Undefined where that file does not exist (not Linux, no schedstats). */
function schedstatReader(): (() => number) | undefined {
  let fd: number;
  try {
    fd = openSync('/proc/thread-self/schedstat', 'r');
  } catch {
    return undefined;
  }
  const buf = Buffer.alloc(64);
  const read = () => {
    const n = readSync(fd, buf, 0, buf.length, 0);
    // The second decimal field, parsed in place: this runs every tick and should not allocate.
    let i = buf.indexOf(0x20) + 1;
    let ns = 0;
    for (; i < n && buf[i]! >= 0x30 && buf[i]! <= 0x39; i++) ns = ns * 10 + buf[i]! - 0x30;
    return ns / 1e6;
  };
  try {
    read();
  } catch {
    closeSync(fd);
    return undefined;
  }
  return read;
}

function realTime(): ClockDeps {
  return {
    now: () => performance.now(),
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
    // The file names the thread that opens it, so each clock opens its own on its own thread.
    runQueueWaitMs: schedstatReader(),
  };
}

/** The time slice a media thread asks the kernel for (µs): shorter than Linux's default 0.75-3 ms,
 * so a thread whose tick is due is picked soon even when the host is busy. */
export const MEDIA_THREAD_SLICE_US = 500;

export interface ClockStats {
  ticks: number;
  /** Ticks that started more than `lateMs` after their deadline. */
  late: number;
  /** Late ticks that are still late once the thread's wait for a CPU is taken off (equal to
   * `late` where that wait cannot be measured). */
  lateOwn: number;
  /** Ticks dropped because the clock fell more than `maxCatchUp` ticks behind. */
  skipped: number;
  maxLatenessMs: number;
  /** Longest single tick in wall time (all the channels' work for one step, plus any time the
   * kernel ran other threads meanwhile). */
  maxTickMs: number;
  /** Longest single tick once the time the thread waited for a CPU during it is taken off: the
   * work itself. (Thread CPU clocks that Node exposes are only as fine as the kernel's 4 ms
   * scheduler tick; the run-queue wait is exact.) Equal to `maxTickMs` where the wait is not known. */
  maxTickWorkMs: number;
}

export interface MediaClockOptions {
  readonly periodMs?: number;
  readonly lateMs?: number;
  readonly maxCatchUp?: number;
  readonly deps?: ClockDeps;
}

export class MediaClock {
  private readonly period: number;
  private readonly lateMs: number;
  private readonly maxCatchUp: number;
  private readonly deps: ClockDeps;
  private readonly onTick: (tick: number) => void;
  private deadline = 0;
  private sequence = 0;
  private waitedMs = 0;
  private timer: unknown;
  private running = false;
  readonly stats: ClockStats = {
    ticks: 0,
    late: 0,
    lateOwn: 0,
    skipped: 0,
    maxLatenessMs: 0,
    maxTickMs: 0,
    maxTickWorkMs: 0,
  };

  /** `onTick(n)` gets the number of periods since start; skipped ticks advance it too. */
  constructor(onTick: (tick: number) => void, options: MediaClockOptions = {}) {
    this.onTick = onTick;
    this.period = options.periodMs ?? TICK_MS;
    this.lateMs = options.lateMs ?? 5;
    this.maxCatchUp = options.maxCatchUp ?? 10;
    this.deps = options.deps ?? realTime();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.deadline = this.deps.now() + this.period;
    this.waitedMs = this.deps.runQueueWaitMs?.() ?? 0;
    this.schedule();
  }

  /** Starts a new measurement window for the worst cases (counters keep running). */
  resetMaxLateness(): void {
    this.stats.maxLatenessMs = 0;
    this.stats.maxTickMs = 0;
    this.stats.maxTickWorkMs = 0;
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.deps.clearTimer(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = this.deps.setTimer(this.wake, Math.max(0, this.deadline - this.deps.now()));
  }

  private readonly wake = (): void => {
    if (!this.running) return;
    const { now, runQueueWaitMs } = this.deps;
    // What the thread waited for a CPU since the previous wake-up (during that batch's ticks too)
    // delayed every tick of this batch alike. Without a measurement nothing is excused.
    const waited = runQueueWaitMs?.() ?? 0;
    const excusedMs = waited - this.waitedMs;
    this.waitedMs = waited;
    let due = Math.floor((now() - this.deadline) / this.period) + 1;
    if (due > this.maxCatchUp) {
      const skipped = due - this.maxCatchUp;
      this.stats.skipped += skipped;
      this.sequence += skipped;
      this.deadline += skipped * this.period;
      due = this.maxCatchUp;
    }
    let waitedBefore = waited;
    for (let i = 0; i < due && this.running; i++) {
      const began = now();
      const lateness = began - this.deadline;
      if (lateness > this.lateMs) {
        this.stats.late += 1;
        if (lateness - excusedMs > this.lateMs) this.stats.lateOwn += 1;
      }
      if (lateness > this.stats.maxLatenessMs) this.stats.maxLatenessMs = lateness;
      this.stats.ticks += 1;
      this.deadline += this.period;
      this.onTick(this.sequence++);
      const took = now() - began;
      if (took > this.stats.maxTickMs) this.stats.maxTickMs = took;
      // The wait during the tick matters only for a tick that might be the longest yet: reading it
      // costs a system call, and most ticks are far shorter than the longest.
      if (took > this.stats.maxTickWorkMs) {
        const waitedAfter = runQueueWaitMs?.() ?? 0;
        this.stats.maxTickWorkMs = Math.max(this.stats.maxTickWorkMs, took - (waitedAfter - waitedBefore));
        waitedBefore = waitedAfter;
      } else if (i + 1 < due) {
        waitedBefore = runQueueWaitMs?.() ?? 0;
      }
    }
    if (this.running) this.schedule();
  };
}
