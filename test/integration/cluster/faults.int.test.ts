// Infrastructure faults under a running host: a Redis restart and a NATS restart lose no accepted
// job, readiness drops while the dependency is away and comes back by itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, startRedis, uniqueNamespace, waitFor, type TestServer } from '../../helpers/index.ts';
import { startHost, type TestHost } from './harness.ts';

describe('ActorHost under infrastructure faults', () => {
  let redisServer: TestServer;
  let natsServer: TestServer;
  let a: TestHost;
  let b: TestHost;
  const delivered: string[] = [];
  beforeAll(async () => {
    [redisServer, natsServer] = await Promise.all([startRedis(), startNats()]);
    const prefix = uniqueNamespace('faults');
    const deliver = ({ key }: { key: string }): Promise<unknown> => {
      delivered.push(key);
      return Promise.resolve('ok');
    };
    a = await startHost({
      redisUrl: redisServer.url,
      natsUrl: natsServer.url,
      prefix,
      nodeName: 'a',
      deliver,
    });
    b = await startHost({
      redisUrl: redisServer.url,
      natsUrl: natsServer.url,
      prefix,
      nodeName: 'b',
      deliver,
    });
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await Promise.all([redisServer.dispose(), natsServer.dispose()]);
  });

  it('a Redis restart: not ready while it is away, the accepted job still completes', async () => {
    await a.host.spawn('probe-job', 'during-redis', { jobId: 'during-redis', notBefore: Date.now() + 800 });
    expect(a.host.isReady()).toBe(true);
    expect(a.host.hostedActors()).toContain('during-redis');
    await redisServer.process.stop(2_000);
    await waitFor(() => !a.host.isReady(), { timeoutMs: 2_000, what: 'readiness to drop' });
    // It cannot renew: it stops the actor before the lease (900 ms) could lapse.
    await waitFor(() => !a.host.hostedActors().includes('during-redis'), {
      timeoutMs: 900,
      what: 'actor stop',
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // longer than the lease TTL
    await redisServer.process.start();
    await waitFor(() => a.host.isReady() && b.host.isReady(), {
      timeoutMs: 5_000,
      what: 'readiness to return',
    });
    await waitFor(async () => (await a.host.read('during-redis'))?.value === 'delivered', {
      timeoutMs: 8_000,
    });
    expect(delivered.filter((key) => key.startsWith('during-redis:'))).toHaveLength(1);
  });

  it('a NATS restart: not ready while it is away, routing works again afterwards', async () => {
    await a.host.spawn('probe-job', 'during-nats', { jobId: 'during-nats', notBefore: Date.now() + 60_000 });
    await natsServer.process.stop(2_000);
    await waitFor(() => !a.host.isReady(), { timeoutMs: 3_000, what: 'readiness to drop' });
    await natsServer.process.start();
    await waitFor(() => a.host.isReady() && b.host.isReady(), {
      timeoutMs: 8_000,
      what: 'readiness to return',
    });
    await b.host.send('during-nats', { type: 'postpone', notBefore: 0 });
    await waitFor(async () => (await b.host.read('during-nats'))?.value === 'delivered', {
      timeoutMs: 8_000,
    });
  });
});
