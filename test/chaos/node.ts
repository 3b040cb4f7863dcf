// One chaos node: a separate process hosting the probe-job machine with the cluster runtime. Its
// `deliver` effect calls the ledger with the actor's epoch. It accepts job submissions on NATS
// (queue group), prints `{"event":"ready","owner":…}` on stdout, and drains on SIGTERM.
// Usage: node test/chaos/node.ts <json options>
import { Redis } from 'ioredis';
import { connect } from '@nats-io/transport-node';
import { ActorHost, RetryableError, TerminalError } from '../../cluster/index.ts';
import { probeJob, submitSubject } from './probe-job.ts';

export interface ChaosNodeOptions {
  readonly redisUrl: string;
  readonly natsUrl: string;
  readonly ledgerUrl: string;
  readonly prefix: string;
  readonly nodeName: string;
  readonly graceMs: number;
  readonly timings: { leaseTtlMs: number; leaseRenewMs: number; heartbeatMs: number; nodeDeadAfterMs: number };
}

async function main(options: ChaosNodeOptions): Promise<void> {
  const redis = new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  const nats = await connect({ servers: options.natsUrl, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
  const host = new ActorHost({ redis, nats, prefix: options.prefix, nodeName: options.nodeName, machines: [probeJob], ...options.timings });
  host.registerEffect('probe-job', 'deliver', async ({ params, key, epoch, signal }) => {
    const { jobId } = params as { jobId: string };
    const response = await fetch(`${options.ledgerUrl}/deliver`, {
      method: 'POST',
      body: JSON.stringify({ job: jobId, key, epoch }),
      signal,
    });
    if (response.status === 409) throw new RetryableError('the edge refused a stale epoch', { retryAfterMs: 200 });
    if (!response.ok) throw new TerminalError(`ledger answered ${response.status}`);
    return (await response.json()) as unknown;
  });
  await host.start();

  const submissions = nats.subscribe(submitSubject(options.prefix), {
    queue: 'submit',
    callback: (_error, message) => {
      const job = message.json<{ jobId: string; notBefore: number }>();
      host.spawn('probe-job', job.jobId, job).then(
        (result) => message.respond(JSON.stringify({ ok: true, ...result })),
        (error: unknown) => message.respond(JSON.stringify({ ok: false, error: String(error) })),
      );
    },
  });

  process.once('SIGTERM', () => {
    submissions.unsubscribe();
    const exit = setTimeout(() => process.exit(1), options.graceMs);
    void host.drain(options.graceMs).finally(async () => {
      clearTimeout(exit);
      await nats.close();
      redis.disconnect();
      process.exit(0);
    });
  });
  console.log(JSON.stringify({ event: 'ready', owner: host.ownerId }));
}

const argument = process.argv[2];
if (argument === undefined) {
  console.error('usage: node test/chaos/node.ts <json options>');
  process.exit(2);
}
await main(JSON.parse(argument) as ChaosNodeOptions);
