// Incoherent timings are refused before the host touches Redis or NATS (the checks run first, so
// no connection is needed here).
import { describe, expect, it } from 'vitest';
import { ActorHost, type ActorHostOptions } from '../../../cluster/index.ts';

const base = {
  redis: undefined as never,
  nats: undefined as never,
  prefix: 'fx',
  nodeName: 'n',
  machines: [],
  leaseTtlMs: 3_000,
  leaseRenewMs: 1_000,
  heartbeatMs: 1_000,
  nodeDeadAfterMs: 3_000,
} satisfies ActorHostOptions;

describe('ActorHost timings', () => {
  it('refuses a renewal interval that leaves no room for a failed renewal', () => {
    expect(() => new ActorHost({ ...base, leaseRenewMs: 2_000 })).toThrow(/leaseRenewMs \(2000\)/);
  });
  it('refuses declaring a node dead after a single missed heartbeat', () => {
    expect(() => new ActorHost({ ...base, nodeDeadAfterMs: 1_500 })).toThrow(/heartbeatMs \(1000\)/);
  });
});
