// The harness itself: real servers on random ports that can be killed, paused and restarted, and
// clients that recover. Later tiers build their fault-injection tests on exactly this.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startNats, startRedis, uniqueNamespace, waitFor, type TestServer } from '../helpers/index.ts';

describe('redis-server under fault injection', () => {
  let redis: TestServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.dispose();
  });

  it('keeps acknowledged data across kill -9 and the client reconnects by itself', async () => {
    const client = new Redis(redis.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
    const key = `${uniqueNamespace('restart')}:value`;
    await client.set(key, 'before-crash');
    // AOF everysec flushes once a second; a commit point waits that long (decision 7).
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    await redis.process.kill();
    expect(redis.process.state).toBe('stopped');
    await redis.process.start();

    expect(await client.get(key)).toBe('before-crash');
    client.disconnect();
  });

  it('a paused server answers nothing until resumed, then serves the queued command', async () => {
    const client = new Redis(redis.url, { maxRetriesPerRequest: null });
    await client.ping();
    redis.process.pause();
    let answered = false;
    const pending = client.ping().then((reply) => {
      answered = true;
      return reply;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answered).toBe(false);
    redis.process.resume();
    expect(await pending).toBe('PONG');
    client.disconnect();
  });
});

describe('nats-server with JetStream under fault injection', () => {
  let nats: TestServer;
  beforeAll(async () => {
    nats = await startNats();
  });
  afterAll(async () => {
    await nats.dispose();
  });

  it('keeps a JetStream stream across a restart and the client reconnects by itself', async () => {
    const nc = await connect({ servers: nats.url, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
    const statuses: string[] = [];
    void (async () => {
      for await (const status of nc.status()) statuses.push(status.type);
    })();
    const ns = uniqueNamespace('restart');
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: ns, subjects: [`${ns}.>`] });
    const js = jetstream(nc);
    await js.publish(`${ns}.job`, 'accepted-before-restart');

    await nats.process.restart({ hard: true });
    await waitFor(() => statuses.includes('reconnect'), { what: 'the client to reconnect' });

    const stored = await waitFor(async () => (await jsm.streams.getMessage(ns, { seq: 1 }))?.string());
    expect(stored).toBe('accepted-before-restart');
    expect(statuses).toContain('disconnect');
    await nc.close();
  });
});
