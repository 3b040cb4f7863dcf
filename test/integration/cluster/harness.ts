// Shared set-up for cluster integration tests: hosts of the probe-job machine on one Redis and NATS.
import { Redis } from 'ioredis';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ActorHost, type EffectHandler } from '../../../cluster/index.ts';
import { probeJob } from '../../chaos/probe-job.ts';

/** Fast timings so takeovers happen within a test's seconds. */
export const FAST = { leaseTtlMs: 900, leaseRenewMs: 300, heartbeatMs: 300, nodeDeadAfterMs: 900 } as const;

export interface TestHost {
  readonly host: ActorHost;
  readonly redis: Redis;
  readonly nats: NatsConnection;
  close(): Promise<void>;
}

export async function startHost(options: {
  redisUrl: string;
  natsUrl: string;
  prefix: string;
  nodeName: string;
  deliver: EffectHandler;
  timings?: Partial<typeof FAST>;
}): Promise<TestHost> {
  const redis = new Redis(options.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: () => 100,
  });
  await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  const nats = await connect({ servers: options.natsUrl, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
  const host = new ActorHost({
    redis,
    nats,
    prefix: options.prefix,
    nodeName: options.nodeName,
    machines: [probeJob],
    ...FAST,
    ...options.timings,
  });
  host.registerEffect('probe-job', 'deliver', options.deliver);
  await host.start();
  return {
    host,
    redis,
    nats,
    async close() {
      await host.stop().catch(() => undefined);
      await nats.close();
      redis.disconnect();
    },
  };
}
