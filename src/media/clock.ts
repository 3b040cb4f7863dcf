// The 20 ms media clock. Each tick is scheduled against an absolute deadline (no drift); when the
// event loop wakes late, missed ticks run back to back (catch-up) so fax timing stays in step, up to
// a bound beyond which they are skipped and counted. Ticks that start more than `lateMs` after
// their deadline are counted too: that is the health signal of a media worker.
import { TICK_MS } from '../fax/index.ts';

export interface ClockDeps {
  readonly now: () => number;
  readonly setTimer: (fn: () => void, ms: number) => unknown;
  readonly clearTimer: (handle: unknown) => void;
}

const REAL_TIME: ClockDeps = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface ClockStats {
  ticks: number;
  /** Ticks that started more than `lateMs` after their deadline. */
  late: number;
  /** Ticks dropped because the clock fell more than `maxCatchUp` ticks behind. */
  skipped: number;
  maxLatenessMs: number;
  /** Longest single tick (all the channels' work for one 20 ms step). */
  maxTickMs: number;
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
  private readonly onTick: () => void;
  private deadline = 0;
  private timer: unknown;
  private running = false;
  readonly stats: ClockStats = { ticks: 0, late: 0, skipped: 0, maxLatenessMs: 0, maxTickMs: 0 };

  constructor(onTick: () => void, options: MediaClockOptions = {}) {
    this.onTick = onTick;
    this.period = options.periodMs ?? TICK_MS;
    this.lateMs = options.lateMs ?? 5;
    this.maxCatchUp = options.maxCatchUp ?? 10;
    this.deps = options.deps ?? REAL_TIME;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.deadline = this.deps.now() + this.period;
    this.schedule();
  }

  /** Starts a new measurement window for the worst lateness (counters keep running). */
  resetMaxLateness(): void {
    this.stats.maxLatenessMs = 0;
    this.stats.maxTickMs = 0;
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
    const now = this.deps.now();
    let due = Math.floor((now - this.deadline) / this.period) + 1;
    if (due > this.maxCatchUp) {
      this.stats.skipped += due - this.maxCatchUp;
      this.deadline += (due - this.maxCatchUp) * this.period;
      due = this.maxCatchUp;
    }
    for (let i = 0; i < due && this.running; i++) {
      const lateness = this.deps.now() - this.deadline;
      if (lateness > this.lateMs) this.stats.late += 1;
      if (lateness > this.stats.maxLatenessMs) this.stats.maxLatenessMs = lateness;
      this.stats.ticks += 1;
      this.deadline += this.period;
      const began = this.deps.now();
      this.onTick();
      const took = this.deps.now() - began;
      if (took > this.stats.maxTickMs) this.stats.maxTickMs = took;
    }
    if (this.running) this.schedule();
  };
}
