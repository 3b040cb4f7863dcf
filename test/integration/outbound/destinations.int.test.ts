// Per-destination state shared by every node, against a real redis-server.
import { describe, expect, it } from 'vitest';
import { DestinationKnowledge, DestinationLocks } from '../../../src/outbound/index.ts';
import { uniqueNamespace, useRedis, waitFor } from '../../helpers/index.ts';

describe('destinations', () => {
  const redis = useRedis();

  it('remembers what worked, switches to audio after a T.38 refusal, and forgets after its TTL', async () => {
    const knowledge = new DestinationKnowledge(redis.client(), {
      namespace: uniqueNamespace('dest'),
      ttlMs: 300,
    });
    expect(await knowledge.settingsFor('+49301234567')).toBeUndefined();
    await knowledge.recordSuccess('+49301234567', { transport: 't38', ecm: true, maxBitRate: 9_600 });
    await knowledge.recordT38Refused('+49301234567');
    expect(await knowledge.settingsFor('+49301234567')).toEqual({
      transport: 'audio',
      ecm: true,
      maxBitRate: 9_600,
    });
    await waitFor(async () => (await knowledge.settingsFor('+49301234567')) === undefined, {
      what: 'expiry',
    });
  });

  it('lets one job call a number at a time; a stale holder can neither extend nor release it', async () => {
    const locks = new DestinationLocks(redis.client(), { namespace: uniqueNamespace('lock'), ttlMs: 400 });
    const first = await locks.tryAcquire('+49301234567', 'job-a:7');
    expect(first).toBeDefined();
    expect(await locks.tryAcquire('+49301234567', 'job-b:1')).toBeUndefined();
    expect(await locks.tryAcquire('+49301234567', 'job-a:7')).toBeDefined(); // the same holder retrying
    expect(await locks.holder('+49301234567')).toBe('job-a:7');
    expect(await first!.extend()).toBe(true);

    // job-a's node pauses past the lock's lifetime; job-b takes the number.
    await waitFor(async () => (await locks.holder('+49301234567')) === undefined, {
      what: 'the lock to lapse',
    });
    expect(performance.now()).toBeGreaterThan(first!.validUntil);
    const second = await locks.tryAcquire('+49301234567', 'job-b:1');
    expect(second).toBeDefined();
    expect(await first!.extend()).toBe(false);
    await first!.release();
    expect(await locks.holder('+49301234567')).toBe('job-b:1');
    await second!.release();
    expect(await locks.holder('+49301234567')).toBeUndefined();
  });
});
