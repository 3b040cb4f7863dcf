// A pace kept for the whole cluster, against a real redis-server: two "nodes" (two connections)
// starting calls on one trunk together never exceed its calls per second between them.
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ClusterPacer } from '../../../src/outbound/index.ts';
import { uniqueNamespace, useRedis } from '../../helpers/index.ts';

describe('ClusterPacer', () => {
  const redis = useRedis();

  it('spaces the starts of two nodes on one trunk so that no second holds more than its rate', async () => {
    const prefix = uniqueNamespace('pace');
    const other = new Redis(redis.server().url);
    try {
      const nodes = [new ClusterPacer(redis.client(), { prefix }), new ClusterPacer(other, { prefix })];
      const startedAt: number[] = [];
      const began = performance.now();
      // 12 calls, 6 from each node, all wanting to start at once on a trunk allowing 5 per second.
      await Promise.all(
        Array.from({ length: 12 }, async (_, index) => {
          await nodes[index % 2]!.take('trunk:carrier', 5);
          startedAt.push(performance.now() - began);
        }),
      );
      startedAt.sort((a, b) => a - b);
      // Evenly spaced at 200 ms: the 12th start is ≈2.2 s after the first.
      expect(startedAt.at(-1)! - startedAt[0]!).toBeGreaterThanOrEqual(2_150);
      // Any six consecutive starts span at least a second (less 100 ms for when this process saw
      // each start): no second held more than five. Paced per node, they would start ten at once.
      for (let index = 5; index < startedAt.length; index++)
        expect(startedAt[index]! - startedAt[index - 5]!, `starts ${index - 5}..${index}`).toBeGreaterThan(
          900,
        );
      // The next call on the busy trunk waits its turn and says how long (ms); another trunk has
      // its own pace and starts at once.
      const [busy, quiet] = await Promise.all([
        nodes[0]!.take('trunk:carrier', 5),
        nodes[1]!.take('trunk:other', 5),
      ]);
      expect(busy).toBeGreaterThan(0);
      expect(quiet).toBe(0);
    } finally {
      other.disconnect();
    }
  });

  it('gives up the wait when the call is cancelled, with the cancellation as the reason', async () => {
    const pacer = new ClusterPacer(redis.client(), { prefix: uniqueNamespace('pace') });
    await pacer.take('trunk:slow', 0.2); // the next start is 5 s away
    const controller = new AbortController();
    const waiting = pacer.take('trunk:slow', 0.2, controller.signal);
    setTimeout(() => controller.abort(new Error('cancelled by the job')), 100);
    await expect(waiting).rejects.toThrow('cancelled by the job');
  });
});
