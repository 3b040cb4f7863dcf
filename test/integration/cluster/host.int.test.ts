// The actor host on real redis-server and nats-server: write-ahead effects, routing from any node,
// takeover after a crash with the same idempotency key and a fresh epoch, durable timers that fire
// on the new owner, and drain.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startNats, startRedis, uniqueNamespace, waitFor, type TestServer } from '../../helpers/index.ts';
import type { EffectContext } from '../../../cluster/index.ts';
import { startHost, type TestHost } from './harness.ts';
import { Ledger } from '../../chaos/ledger.ts';

describe('ActorHost', () => {
  let redisServer: TestServer;
  let natsServer: TestServer;
  let redis: Redis;
  const open: TestHost[] = [];
  beforeAll(async () => {
    [redisServer, natsServer] = await Promise.all([startRedis(), startNats()]);
    redis = new Redis(redisServer.url);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((host) => host.close()));
  });
  afterAll(async () => {
    redis.disconnect();
    await Promise.all([redisServer.dispose(), natsServer.dispose()]);
  });

  async function host(
    prefix: string,
    nodeName: string,
    deliver: (context: EffectContext) => Promise<unknown>,
  ): Promise<TestHost> {
    const started = await startHost({
      redisUrl: redisServer.url,
      natsUrl: natsServer.url,
      prefix,
      nodeName,
      deliver,
    });
    open.push(started);
    return started;
  }

  it('persists the delivery intent before the effect runs, then records the result', async () => {
    const prefix = uniqueNamespace('wal');
    const seenAtEffect: unknown[] = [];
    const a = await host(prefix, 'a', async (context) => {
      seenAtEffect.push(await a.host.read(context.actorId));
      return { receipt: `r-${context.key}` };
    });
    expect(await a.host.spawn('probe-job', 'job-1', { jobId: 'job-1', notBefore: 0 })).toEqual({
      created: true,
    });
    const done = await waitFor(async () => {
      const view = await a.host.read('job-1');
      return view?.status === 'done' ? view : undefined;
    });
    expect(done.value).toBe('delivered');
    expect(done.context).toMatchObject({ receipt: { receipt: 'r-job-1:2:0' } });
    expect(seenAtEffect).toEqual([
      expect.objectContaining({ value: 'delivering', pendingEffects: ['job-1:2:0'] }),
    ]);
    const log = await redis.xrange(a.host.keys.actorLog('job-1'), '-', '+');
    expect(log.map(([, fields]) => (JSON.parse(fields[5] ?? 'null') as { type: string }).type)).toEqual([
      'xstate.init',
      'cluster.timer',
      'cluster.effect.done',
    ]);
    expect(await a.host.spawn('probe-job', 'job-1', { jobId: 'job-1', notBefore: 0 })).toEqual({
      created: false,
    });
    expect(await redis.smembers(a.host.keys.ownerIndex(a.host.ownerId))).toEqual([]);
  });

  it('routes an event sent on another node to the owner', async () => {
    const prefix = uniqueNamespace('route');
    const never = (): Promise<unknown> => new Promise(() => undefined);
    const a = await host(prefix, 'a', never);
    const b = await host(prefix, 'b', never);
    await a.host.spawn('probe-job', 'job-r', { jobId: 'job-r', notBefore: Date.now() + 60_000 });
    await b.host.send('job-r', { type: 'cancel' });
    const view = await b.host.read('job-r');
    expect(view).toMatchObject({ value: 'cancelled', status: 'done', owner: a.host.ownerId });
    expect(b.host.hostedActors()).toEqual([]);
  });

  it('resumes a crashed owner’s actor on a peer: same effect key, newer epoch, overdue timer fires at once', async () => {
    const prefix = uniqueNamespace('takeover');
    const calls: Array<{ node: string; key: string; epoch: number }> = [];
    const a = await host(prefix, 'a', (context) => {
      calls.push({ node: 'a', key: context.key, epoch: context.epoch });
      return new Promise(() => undefined); // the call is in progress when the node dies
    });
    const b = await host(prefix, 'b', (context) => {
      calls.push({ node: 'b', key: context.key, epoch: context.epoch });
      return Promise.resolve('ok');
    });
    // Whichever node spawns owns it; spawn both kinds on a so one crashes mid-effect, one mid-wait.
    await a.host.spawn('probe-job', 'mid-effect', { jobId: 'mid-effect', notBefore: 0 });
    await a.host.spawn('probe-job', 'mid-wait', { jobId: 'mid-wait', notBefore: Date.now() + 300 });
    await waitFor(() => calls.some((call) => call.key === 'mid-effect:2:0'));
    const crashedAt = Date.now();
    open.splice(open.indexOf(a), 1);
    await a.close(); // stops without releasing anything, and its NATS connection goes away

    for (const id of ['mid-effect', 'mid-wait']) {
      await waitFor(async () => (await b.host.read(id))?.status === 'done', {
        timeoutMs: 5_000,
        what: `${id} done`,
      });
    }
    const takeoverMs = Date.now() - crashedAt;
    expect(takeoverMs).toBeLessThan(3_000);
    const midEffect = calls.filter((call) => call.key === 'mid-effect:2:0');
    expect(midEffect.map((call) => call.node)).toEqual(['a', 'b']);
    expect(midEffect[1]!.epoch).toBeGreaterThan(midEffect[0]!.epoch);
    expect(await b.host.read('mid-wait')).toMatchObject({ value: 'delivered' });
  });

  it('resumes an orphan no owner index lists (index rolled back) through its overdue timer', async () => {
    const prefix = uniqueNamespace('orphan');
    const delivered: string[] = [];
    const a = await host(prefix, 'a', () => new Promise(() => undefined));
    await a.host.spawn('probe-job', 'orphan', { jobId: 'orphan', notBefore: Date.now() + 150 });
    open.splice(open.indexOf(a), 1);
    await a.close();
    await redis.del(a.host.keys.ownerIndex(a.host.ownerId));
    const b = await host(prefix, 'b', (context) => {
      delivered.push(context.key);
      return Promise.resolve('ok');
    });
    await waitFor(async () => (await b.host.read('orphan'))?.value === 'delivered', { timeoutMs: 6_000 });
    expect(delivered).toEqual(['orphan:2:0']);
  });

  it('ignores an event sent to a finished actor', async () => {
    const prefix = uniqueNamespace('finished');
    const a = await host(prefix, 'a', () => Promise.resolve('ok'));
    await a.host.spawn('probe-job', 'fin', { jobId: 'fin', notBefore: Date.now() + 60_000 });
    await a.host.send('fin', { type: 'cancel' });
    await a.host.send('fin', { type: 'cancel' });
    expect(await a.host.read('fin')).toMatchObject({ value: 'cancelled', seq: 2 });
  });

  it('an effect a fenced-off owner finishes late is refused by the resource through its epoch', async () => {
    const prefix = uniqueNamespace('stale');
    const edge = new Ledger(() => 1);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let lateAnswer: number | undefined;
    let started = false;
    const a = await host(prefix, 'a', async ({ key, epoch }) => {
      started = true;
      await gate; // the process was frozen here, past its lease
      lateAnswer = (await edge.deliver({ job: 'late', key, epoch })).status;
      return 'ok';
    });
    await a.host.spawn('probe-job', 'late', { jobId: 'late', notBefore: 0 });
    await waitFor(() => started);
    await a.host.stop(); // stops renewing and heartbeating, as a frozen process would
    const b = await host(
      prefix,
      'b',
      async ({ key, epoch }) => (await edge.deliver({ job: 'late', key, epoch })).receipt,
    );
    await waitFor(async () => (await b.host.read('late'))?.value === 'delivered', { timeoutMs: 5_000 });
    release();
    await waitFor(() => lateAnswer);
    expect(lateAnswer).toBe(409);
    expect(edge.stats()).toMatchObject({ confirmedJobs: 1, duplicates: 0, staleRefusals: 1 });
  });

  it('drains: releases leases so a peer claims at once', async () => {
    const prefix = uniqueNamespace('drain');
    const never = (): Promise<unknown> => new Promise(() => undefined);
    const a = await host(prefix, 'a', never);
    const b = await host(prefix, 'b', never);
    await a.host.spawn('probe-job', 'job-d', { jobId: 'job-d', notBefore: Date.now() + 60_000 });
    const drainedAt = Date.now();
    await a.host.drain(2_000);
    await waitFor(() => b.host.hostedActors().includes('job-d'), { timeoutMs: 3_000 });
    expect(Date.now() - drainedAt).toBeLessThan(900); // faster than the lease TTL
    expect(a.host.isReady()).toBe(false);
  });
});
