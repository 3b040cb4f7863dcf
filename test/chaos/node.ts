// One chaos node: a separate process hosting the probe-job machine with the cluster runtime. Its
// `deliver` effect calls the ledger with the actor's epoch. It accepts job submissions on NATS
// (queue group), prints `{"event":"ready","owner":…}` on stdout, and drains on SIGTERM.
// Usage: node test/chaos/node.ts <json options>
import { RetryableError, TerminalError, type EffectHandler } from '../../cluster/index.ts';
import { startProbeHost, submitSubject, type ClusterTimings } from './probe-job.ts';

export interface ChaosNodeOptions {
  readonly redisUrl: string;
  readonly natsUrl: string;
  readonly ledgerUrl: string;
  readonly prefix: string;
  readonly nodeName: string;
  readonly graceMs: number;
  readonly timings: ClusterTimings;
}

async function main(options: ChaosNodeOptions): Promise<void> {
  const deliver: EffectHandler = async ({ params, key, epoch, signal }) => {
    const { jobId } = params as { jobId: string };
    const response = await fetch(`${options.ledgerUrl}/deliver`, {
      method: 'POST',
      body: JSON.stringify({ job: jobId, key, epoch }),
      signal,
    });
    if (response.status === 409)
      throw new RetryableError('the edge refused a stale epoch', { retryAfterMs: 200 });
    if (!response.ok) throw new TerminalError(`ledger answered ${response.status}`);
    return await response.json();
  };
  const { host, redis, nats } = await startProbeHost({
    redisUrl: options.redisUrl,
    natsUrl: options.natsUrl,
    prefix: options.prefix,
    nodeName: options.nodeName,
    deliver,
    timings: options.timings,
  });

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
