// The chaos proof in CI size: 3 real node processes, kill -9 with restarts, a SIGSTOP past the lease,
// a graceful drain, a Redis and a NATS restart, fixed seed. Every accepted job is delivered exactly once by the ledger.
import { describe, expect, it } from 'vitest';
import { runChaos } from './run.ts';

describe('chaos: nodes killed, paused and restarted, infrastructure restarted', () => {
  it('loses no job and delivers none twice (seed 42)', { timeout: 110_000 }, async () => {
    const result = await runChaos({
      nodes: 3,
      jobs: 150,
      kills: 3,
      pauses: 1,
      drains: 1,
      seed: 42,
      restartRedis: true,
      restartNats: true,
      timeoutMs: 45_000,
    });
    expect(result).toMatchObject({ jobs: 150, lost: 0, duplicates: 0, kills: 3, pauses: 1 });
    expect(result.takeover_p99_ms).toBeLessThanOrEqual(3_000);
    // A drained node hands over faster than a lease could expire, and exits within its grace.
    expect(result).toMatchObject({ drains: 1 });
    expect(result.drain_takeover_p99_ms).toBeLessThan(3_000);
    expect(result.drain_exit_max_ms).toBeLessThan(5_000);
  });
});
