// Persisted actor transitions per second on one node against a private redis-server (AOF everysec),
// with a plain Redis SET loop of the same payload and the same number of commands in flight as the
// anchor, measured in the same run. Two of ours: the fenced Lua commit alone, and the whole host path
// (mailbox → XState transition() → fenced commit) driven through ActorHost.send.
// Usage: npm run bench -- actors [--seconds 3] [--inflight 256]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { connect } from '@nats-io/transport-node';
import { createLocalNats, createLocalRedis } from '../src/local-services/index.ts';
import { ActorHost, createKeys } from '../cluster/index.ts';
import { ActorStore } from '../cluster/store.ts';
import { probeJob } from '../test/chaos/probe-job.ts';
import { report } from './report.ts';

/** Runs `work(lane)` in `lanes` parallel loops for `ms` and returns completed operations per second. */
async function throughput(lanes: number, ms: number, work: (lane: number) => Promise<void>): Promise<number> {
  const until = performance.now() + ms;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      while (performance.now() < until) {
        await work(lane);
        done += 1;
      }
    }),
  );
  return done / ((performance.now() - started) / 1_000);
}

export async function run(args: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...args],
    options: { seconds: { type: 'string', default: '3' }, inflight: { type: 'string', default: '256' } },
  });
  const ms = Number(values.seconds) * 1_000;
  const lanes = Number(values.inflight);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'faxswitch-bench-actors-'));
  const redisServer = await createLocalRedis({ dataDir: path.join(dataDir, 'redis') });
  const natsServer = await createLocalNats({ dataDir: path.join(dataDir, 'nats') });
  await Promise.all([redisServer.process.start(), natsServer.process.start()]);
  const redis = new Redis(redisServer.url, { enableOfflineQueue: false });
  await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  const nats = await connect({ servers: natsServer.url });
  try {
    const host = new ActorHost({
      redis,
      nats,
      prefix: 'bench',
      nodeName: 'bench',
      machines: [probeJob],
      leaseTtlMs: 30_000,
      leaseRenewMs: 10_000,
      heartbeatMs: 1_000,
      nodeDeadAfterMs: 3_000,
    });
    host.registerEffect('probe-job', 'deliver', () => Promise.resolve(null));
    await host.start();
    const farFuture = Date.now() + 86_400_000;
    const ids = Array.from({ length: lanes }, (_, lane) => `bench-${lane}`);
    await Promise.all(ids.map((id) => host.spawn('probe-job', id, { jobId: id, notBefore: farFuture })));

    // The payload the anchor writes: what one commit carries (snapshot, pending, event).
    const sample = await redis.hget(host.keys.actorState(ids[0]!), 'snapshot');
    const event = JSON.stringify({ type: 'postpone', notBefore: farFuture });
    const payload = 'x'.repeat((sample ?? '').length + event.length + 2);

    const anchor = await throughput(lanes, ms, (lane) =>
      redis.set(`bench:set:${lane}`, payload).then(() => undefined),
    );

    const hostRate = await throughput(lanes, ms, (lane) =>
      host.send(ids[lane]!, { type: 'postpone', notBefore: farFuture }),
    );

    // The fenced commit alone, on a separate set of actors claimed directly through the store.
    const store = new ActorStore(redis, createKeys('benchstore'), { leaseTtlMs: 30_000 });
    const claims = await Promise.all(
      ids.map((id) =>
        store.claim(id, 'bench#1', {
          create: {
            machine: 'probe-job',
            version: 1,
            snapshot: JSON.parse(sample ?? '{}'),
            pending: [],
            status: 'active',
            event: null,
          },
        }),
      ),
    );
    const seqs = claims.map((claim) => claim.actor.seq);
    const snapshot = JSON.parse(sample ?? '{}') as unknown;
    const storeRate = await throughput(lanes, ms, async (lane) => {
      const seq = (seqs[lane] ?? 0) + 1;
      await store.commit(ids[lane]!, {
        owner: 'bench#1',
        epoch: claims[lane]!.epoch,
        seq,
        snapshot,
        pending: [],
        status: 'active',
        event: { type: 'postpone', notBefore: farFuture },
      });
      seqs[lane] = seq;
    });
    await host.stop();

    const common = {
      anchor: 'redis SET loop',
      anchor_value: anchor,
      inflight: lanes,
      payload_bytes: payload.length,
      seconds: ms / 1_000,
    };
    report({ bench: 'actors', metric: 'fenced_commits_per_s', ours: storeRate, ...common });
    report({ bench: 'actors', metric: 'host_transitions_per_s', ours: hostRate, ...common });
  } finally {
    await nats.close();
    redis.disconnect();
    await Promise.all([redisServer.process.stop(2_000), natsServer.process.stop(2_000)]);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
