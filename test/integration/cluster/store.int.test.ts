// The fenced actor store against a real redis-server: claims, epochs, fenced commits, the audit
// stream, and the versioned script names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedis, uniqueNamespace, type TestServer } from '../../helpers/index.ts';
import { ActorStore } from '../../../cluster/store.ts';
import { createKeys } from '../../../cluster/keys.ts';
import { scriptLibrary } from '../../../cluster/scripts.ts';
import {
  LeaseHeldError,
  LeaseLostError,
  SequenceConflictError,
  StaleEpochError,
  ActorNotFoundError,
} from '../../../cluster/script-codes.ts';

const newActor = {
  machine: 'probe',
  version: 1,
  snapshot: { value: 'a', context: {} },
  pending: [],
  status: 'active' as const,
  event: { type: 'start' },
};

describe('ActorStore (fenced Lua on real Redis)', () => {
  let server: TestServer;
  let redis: Redis;
  let store: ActorStore;
  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
    store = new ActorStore(redis, createKeys(uniqueNamespace('store')), { leaseTtlMs: 3_000 });
  });
  afterAll(async () => {
    redis.disconnect();
    await server.dispose();
  });

  it('creates once, then refuses a second owner while the lease lives', async () => {
    const first = await store.claim('job-1', 'node-a#1', { create: newActor });
    expect(first.created).toBe(true);
    expect(first.actor.seq).toBe(1);
    const again = await store.claim('job-1', 'node-a#1', { create: newActor });
    expect(again.created).toBe(false);
    expect(again.epoch).toBeGreaterThan(first.epoch);
    await expect(store.claim('job-1', 'node-b#1')).rejects.toBeInstanceOf(LeaseHeldError);
    await expect(store.claim('missing', 'node-b#1')).rejects.toBeInstanceOf(ActorNotFoundError);
  });

  it('fences the old owner after a peer breaks the lease of a dead owner', async () => {
    const a = await store.claim('job-2', 'node-a#1', { create: newActor });
    const step = {
      owner: 'node-a#1',
      epoch: a.epoch,
      seq: 2,
      snapshot: { value: 'b' },
      pending: [],
      status: 'active' as const,
      event: { type: 'go' },
    };
    await store.commit('job-2', step);
    await expect(store.commit('job-2', step)).rejects.toBeInstanceOf(SequenceConflictError);

    const b = await store.claim('job-2', 'node-b#1', { deadOwner: 'node-a#1' });
    expect(b.epoch).toBeGreaterThan(a.epoch);
    expect(b.actor.seq).toBe(2);
    await expect(store.commit('job-2', { ...step, seq: 3 })).rejects.toBeInstanceOf(LeaseLostError);
    await store.commit('job-2', {
      ...step,
      owner: 'node-b#1',
      epoch: b.epoch,
      seq: 3,
      snapshot: { value: 'c' },
    });

    const stored = await store.read('job-2');
    expect(stored?.snapshot).toEqual({ value: 'c' });
    expect(stored?.owner).toBe('node-b#1');
    const log = await redis.xrange(store.keys.actorLog('job-2'), '-', '+');
    expect(log.map(([, fields]) => fields[1])).toEqual(['1', '2', '3']);
  });

  it('refuses a write with the right lease value but an epoch the state has moved past', async () => {
    const a = await store.claim('job-3', 'node-a#1', { create: newActor });
    // Simulate a lease restored from an older replica while the state already carries a newer epoch.
    await redis.hset(store.keys.actorState('job-3'), 'epoch', String(a.epoch + 5));
    await expect(
      store.commit('job-3', {
        owner: 'node-a#1',
        epoch: a.epoch,
        seq: 2,
        snapshot: {},
        pending: [],
        status: 'active',
        event: null,
      }),
    ).rejects.toBeInstanceOf(StaleEpochError);
  });

  it('never reissues an epoch after the counters roll back (simulated failover)', async () => {
    const first = await store.claim('job-4', 'node-a#1', { create: newActor });
    // A failover that lost the claim: high-water mark and stored epoch back to an older value.
    await redis.set(store.keys.actorEpoch('job-4'), '1');
    await redis.hset(store.keys.actorState('job-4'), 'epoch', '1');
    await redis.del(store.keys.actorLease('job-4'));
    await new Promise((resolve) => setTimeout(resolve, 2));
    const second = await store.claim('job-4', 'node-b#1');
    expect(second.epoch).toBeGreaterThan(first.epoch);
  });

  it('renews only the leases still held and reports the lost ones', async () => {
    const a = await store.claim('job-5', 'node-a#1', { create: newActor });
    const lost = await store.renew([
      { actorId: 'job-5', owner: 'node-a#1', epoch: a.epoch },
      { actorId: 'job-5', owner: 'node-a#1', epoch: a.epoch - 1 },
    ]);
    expect(lost).toEqual(['job-5']);
    expect(await redis.pttl(store.keys.actorLease('job-5'))).toBeGreaterThan(2_000);
    expect(await store.release('job-5', 'node-a#1', a.epoch)).toBe(true);
    expect(await store.leaseHolder('job-5')).toBeUndefined();
  });

  it('registers each script under a name carrying its content hash', async () => {
    const library = scriptLibrary();
    const names = [...library.scripts.values()].map((script) => script.functionName);
    expect(names.sort()).toEqual([
      expect.stringMatching(/^beatHeart_[0-9a-f]{12}$/),
      expect.stringMatching(/^claimActor_[0-9a-f]{12}$/),
      expect.stringMatching(/^commitStep_[0-9a-f]{12}$/),
      expect.stringMatching(/^releaseLease_[0-9a-f]{12}$/),
      expect.stringMatching(/^renewLease_[0-9a-f]{12}$/),
    ]);
    const listed = JSON.stringify(await redis.call('FUNCTION', 'LIST', 'LIBRARYNAME', library.name));
    for (const name of names) expect(listed).toContain(name);
  });
});
