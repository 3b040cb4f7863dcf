// The probe-job machine as the cluster hosts it, and a host of it on its own Redis and NATS
// connections, shared by the chaos nodes, the integration tests and the benchmark.
import { Redis } from 'ioredis';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ActorHost, defineMachine, type EffectHandler } from '../../cluster/index.ts';
import { HostEvent, probeJobDeadline, probeJobMachine, type ProbeJobEvent } from '../../actors/index.ts';

export const probeJob = defineMachine({
  name: 'probe-job',
  version: 1,
  logic: probeJobMachine,
  effects: ['deliver'],
  nextDeadline: probeJobDeadline,
});

/** Where chaos nodes accept job submissions (a queue group: one node takes each). */
export function submitSubject(prefix: string): string {
  return `${prefix}.submit`;
}

export interface ClusterTimings {
  readonly leaseTtlMs: number;
  readonly leaseRenewMs: number;
  readonly heartbeatMs: number;
  readonly nodeDeadAfterMs: number;
}

export interface ProbeHost {
  readonly host: ActorHost;
  readonly redis: Redis;
  readonly nats: NatsConnection;
  close(): Promise<void>;
}

export async function startProbeHost(options: {
  redisUrl: string;
  natsUrl: string;
  prefix: string;
  nodeName: string;
  deliver: EffectHandler;
  timings: ClusterTimings;
}): Promise<ProbeHost> {
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

/** One event of every kind the probe job takes, around a deadline: model-based tests walk these. */
export function probeJobEvents(deadline: number, effectKey: string): ProbeJobEvent[] {
  return [
    { type: HostEvent.timer, deadline, now: deadline - 1 },
    { type: HostEvent.timer, deadline, now: deadline },
    {
      type: HostEvent.effectDone,
      effect: 'deliver',
      key: effectKey,
      output: { receipt: `receipt:${effectKey}` },
    },
    {
      type: HostEvent.effectFailed,
      effect: 'deliver',
      key: effectKey,
      error: { name: 'TerminalError', message: 'refused' },
    },
    { type: 'postpone', notBefore: deadline + 1_000 },
    { type: 'cancel' },
  ];
}
