// Shared set-up for cluster integration tests: probe-job hosts with timings fast enough that
// takeovers happen within a test's seconds.
import { startProbeHost, type ProbeHost } from '../../chaos/probe-job.ts';
import type { EffectHandler } from '../../../cluster/index.ts';

export const FAST = { leaseTtlMs: 900, leaseRenewMs: 300, heartbeatMs: 300, nodeDeadAfterMs: 900 } as const;

export type TestHost = ProbeHost;

export function startHost(options: {
  redisUrl: string;
  natsUrl: string;
  prefix: string;
  nodeName: string;
  deliver: EffectHandler;
}): Promise<TestHost> {
  return startProbeHost({ ...options, timings: FAST });
}
