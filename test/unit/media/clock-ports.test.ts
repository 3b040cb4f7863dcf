import { describe, expect, it } from 'vitest';
import { MediaCapacityError, MediaClock, PortAllocator, type ClockDeps } from '../../../src/media/index.ts';

/** A clock whose timers fire when the test says, at the time the test says. */
function manualTime() {
  let now = 0;
  let waited = 0;
  let pending: { fn: () => void; at: number } | undefined;
  const deps: ClockDeps = {
    now: () => now,
    setTimer: (fn, ms) => (pending = { fn, at: now + ms }),
    clearTimer: () => (pending = undefined),
    runQueueWaitMs: () => waited,
  };
  return {
    deps,
    /** Time passes while the thread waits for a CPU. */
    waitForCpu(ms: number) {
      now += ms;
      waited += ms;
    },
    /** Time passes while the thread works. */
    work(ms: number) {
      now += ms;
    },
    /** Fires the pending timer `lateMs` after it was due. */
    fire(lateMs = 0) {
      const timer = pending!;
      pending = undefined;
      now = timer.at + lateMs;
      timer.fn();
    },
    get nextDue() {
      return pending?.at;
    },
  };
}

describe('MediaClock', () => {
  it('ticks every 20 ms against absolute deadlines, without drift', () => {
    const time = manualTime();
    let ticks = 0;
    const clock = new MediaClock(() => ticks++, { deps: time.deps });
    clock.start();
    for (let i = 0; i < 50; i++) time.fire(1);
    expect(ticks).toBe(50);
    expect(time.nextDue).toBe(51 * 20); // being 1 ms late each time did not push the schedule
    expect(clock.stats).toMatchObject({ ticks: 50, late: 0, skipped: 0 });
  });

  it('catches up missed ticks back to back and counts the late ones', () => {
    const time = manualTime();
    let ticks = 0;
    const clock = new MediaClock(() => ticks++, { deps: time.deps, lateMs: 5 });
    clock.start();
    time.fire(65); // woke 65 ms late: that tick plus three more were due
    expect(ticks).toBe(4);
    expect(clock.stats.late).toBe(3); // lateness 65, 45, 25 > 5; the fourth is 5 ms late
    expect(clock.stats.maxLatenessMs).toBe(65);
  });

  it('skips beyond maxCatchUp instead of bursting forever after a long stall', () => {
    const time = manualTime();
    const ticks: number[] = [];
    const clock = new MediaClock((n) => ticks.push(n), { deps: time.deps, maxCatchUp: 5 });
    clock.start();
    time.fire(1000);
    // Skipped ticks still count, so work keyed to the tick number keeps its cadence.
    expect(ticks).toEqual([46, 47, 48, 49, 50]);
    expect(clock.stats.skipped).toBe(46);
    clock.stop();
    expect(time.nextDue).toBeUndefined();
  });

  it('tells lateness the kernel caused (waiting for a CPU) from lateness our own work caused', () => {
    const time = manualTime();
    let tickWork = 0;
    const clock = new MediaClock(() => time.work(tickWork), { deps: time.deps, lateMs: 5 });
    clock.start();
    time.waitForCpu(30); // runnable but not running from 10 ms before the deadline: 10 ms late
    time.fire(10);
    expect(clock.stats).toMatchObject({ late: 1, lateOwn: 0 });
    time.fire(8); // 8 ms late because the event loop was busy with something of ours
    expect(clock.stats).toMatchObject({ late: 2, lateOwn: 1 });
    tickWork = 3;
    time.fire(0);
    expect(clock.stats.maxTickMs).toBe(3);
    expect(clock.stats.maxTickWorkMs).toBe(3);
  });

  it('counts only the work of a tick, not the time the kernel ran other threads during it', () => {
    const time = manualTime();
    const clock = new MediaClock(
      () => {
        time.work(2);
        time.waitForCpu(12);
        time.work(1);
      },
      { deps: time.deps },
    );
    clock.start();
    time.fire(0);
    expect(clock.stats.maxTickMs).toBe(15);
    expect(clock.stats.maxTickWorkMs).toBe(3);
    // The next tick is late because this one was kept from the CPU: the host's doing, not ours.
    time.fire(10);
    expect(clock.stats).toMatchObject({ late: 1, lateOwn: 0 });
  });
});

describe('PortAllocator', () => {
  it('hands out even ports round-robin and does not reuse a released port at once', () => {
    const ports = new PortAllocator(40001, 40007);
    expect([ports.allocate(), ports.allocate()]).toEqual([40002, 40004]);
    ports.release(40002);
    expect(ports.allocate()).toBe(40006);
    expect(ports.allocate()).toBe(40002);
    expect(() => ports.allocate()).toThrow(MediaCapacityError);
    expect(ports.used).toBe(3);
  });

  it('refuses ranges outside 1024-65535', () => {
    expect(() => new PortAllocator(80, 90)).toThrow(RangeError);
  });
});
