// The JetStream work queue on a real nats-server: Nats-Msg-Id dedupe, a per-trunk cap held across
// nodes, redelivery after a node dies holding work, and progress acks that keep long work claimed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { startNats, uniqueNamespace, waitFor, type TestServer } from '../../helpers/index.ts';
import { WorkQueue, type WorkQueueOptions } from '../../../cluster/index.ts';

describe('WorkQueue (JetStream)', () => {
  let server: TestServer;
  const connections: NatsConnection[] = [];
  beforeAll(async () => {
    server = await startNats();
  });
  afterAll(async () => {
    await Promise.all(connections.map((connection) => connection.close().catch(() => undefined)));
    await server.dispose();
  });

  async function node(
    options: Omit<WorkQueueOptions, 'nats'>,
  ): Promise<{ queue: WorkQueue; nats: NatsConnection }> {
    const nats = await connect({ servers: server.url });
    connections.push(nats);
    const queue = new WorkQueue({ ...options, nats });
    await queue.ensure();
    return { queue, nats };
  }

  it('stores a repeated publish once and caps a trunk across nodes', async () => {
    const options = {
      stream: uniqueNamespace('wq'),
      trunks: { carrier: { maxInFlight: 2 } },
      ackWaitMs: 5_000,
    };
    const a = await node(options);
    const b = await node(options);
    expect(await a.queue.publish('carrier', 'job-1:2:0', { n: 0 })).toEqual({ duplicate: false });
    expect(await b.queue.publish('carrier', 'job-1:2:0', { n: 0 })).toEqual({ duplicate: true });
    for (let n = 1; n < 6; n += 1) await a.queue.publish('carrier', `job-${n + 1}:2:0`, { n });

    let running = 0;
    let peak = 0;
    const done: string[] = [];
    const handler = async (item: { id: string }): Promise<void> => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 150));
      running -= 1;
      done.push(item.id);
    };
    const consuming = [a.queue.consume('carrier', 4, handler), b.queue.consume('carrier', 4, handler)];
    await waitFor(() => done.length === 6, { timeoutMs: 10_000 });
    await Promise.all([a.queue.stop(), b.queue.stop()]);
    await Promise.all(consuming);
    expect(peak).toBe(2);
    expect(new Set(done).size).toBe(6);
  });

  it("takes a trunk's new channel count on the next deploy", async () => {
    const stream = uniqueNamespace('wq');
    await node({ stream, trunks: { carrier: { maxInFlight: 2 } }, ackWaitMs: 5_000 });
    const redeployed = await node({ stream, trunks: { carrier: { maxInFlight: 3 } }, ackWaitMs: 5_000 });
    const jsm = await jetstreamManager(redeployed.nats);
    expect((await jsm.consumers.info(stream, 'carrier')).config.max_ack_pending).toBe(3);
  });

  it('redelivers work a dead node held, after AckWait', async () => {
    const options = {
      stream: uniqueNamespace('wq'),
      trunks: { carrier: { maxInFlight: 10 } },
      ackWaitMs: 1_000,
    };
    const a = await node(options);
    const b = await node(options);
    await a.queue.publish('carrier', 'job-9:2:0', { page: 1 });
    let taken = false;
    void a.queue.consume('carrier', 1, async () => {
      taken = true;
      await new Promise(() => undefined); // the node dies holding it
    });
    await waitFor(() => taken);
    const diedAt = Date.now();
    await a.nats.close();
    const seen: Array<{ id: string; deliveryCount: number }> = [];
    const consuming = b.queue.consume('carrier', 1, (item) => {
      seen.push({ id: item.id, deliveryCount: item.deliveryCount });
      return Promise.resolve();
    });
    await waitFor(() => seen.length === 1, { timeoutMs: 5_000 });
    expect(Date.now() - diedAt).toBeGreaterThan(500);
    expect(seen).toEqual([{ id: 'job-9:2:0', deliveryCount: 2 }]);
    await b.queue.stop();
    await consuming;
  });

  it('keeps long work claimed with progress acks', async () => {
    const options = {
      stream: uniqueNamespace('wq'),
      trunks: { carrier: { maxInFlight: 10 } },
      ackWaitMs: 600,
    };
    const a = await node(options);
    const b = await node(options);
    await a.queue.publish('carrier', 'long', {});
    const deliveries: string[] = [];
    const slow = async (item: { id: string }): Promise<void> => {
      deliveries.push(item.id);
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // over three AckWaits
    };
    const consuming = [a.queue.consume('carrier', 1, slow), b.queue.consume('carrier', 1, slow)];
    await new Promise((resolve) => setTimeout(resolve, 2_600));
    await Promise.all([a.queue.stop(), b.queue.stop()]);
    await Promise.all(consuming);
    expect(deliveries).toEqual(['long']);
  });
});
