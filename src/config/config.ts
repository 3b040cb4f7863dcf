// The compiled configuration of one faxswitch node: user input (environment) → defaults → validated
// values with units in their names. The only place the environment is read.
import os from 'node:os';
import path from 'node:path';
import { ConfigError, EnvReader, type Environment, type HostPort } from './env-reader.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ClusterTimings {
  /** How long an actor's lease lives without renewal. */
  readonly leaseTtlMs: number;
  /** How often a lease is renewed. */
  readonly leaseRenewMs: number;
  /** How often a node announces it is alive. */
  readonly heartbeatMs: number;
  /** Silence after which peers declare a node dead and take over its actors. */
  readonly nodeDeadAfterMs: number;
}

export interface Config {
  /** Stable name of this node (the pod name on Kubernetes). */
  readonly nodeName: string;
  /** Where local state lives: embedded Redis/NATS data, temporary media files. */
  readonly stateDir: string;
  readonly http: HostPort;
  /** Redis to use; when absent the node starts and supervises its own redis-server. */
  readonly redisUrl: URL | undefined;
  /** NATS to use; when absent the node starts and supervises its own nats-server with JetStream. */
  readonly natsUrl: URL | undefined;
  readonly logLevel: LogLevel;
  /** Time allowed between SIGTERM and exit (Kubernetes terminationGracePeriodSeconds minus margin). */
  readonly shutdownGraceMs: number;
  readonly cluster: ClusterTimings;
}

/** Every variable the node reads, with what it means; the README's table is generated from this. */
export const ENVIRONMENT_VARIABLES = {
  FAXSWITCH_NODE_NAME: 'name of this node; default: POD_NAME, else the host name',
  FAXSWITCH_STATE_DIR: 'directory for local state (embedded Redis/NATS data); default ./var',
  FAXSWITCH_HTTP_LISTEN: 'address of the health/metrics/API listener; default 127.0.0.1:8080',
  REDIS_URL: 'redis://[:password@]host:port/db or rediss://…; unset: start a private redis-server',
  NATS_URL: 'nats://[user:password@]host:port or tls://…; unset: start a private nats-server -js',
  LOG_LEVEL: `one of ${LOG_LEVELS.join(', ')}; default info`,
  FAXSWITCH_SHUTDOWN_GRACE: 'time from SIGTERM to exit, e.g. 25s; default 25s',
  FAXSWITCH_LEASE_TTL: 'actor lease lifetime; default 3s',
  FAXSWITCH_LEASE_RENEW: 'actor lease renewal interval; default 1s (must be under a third of the TTL)',
  FAXSWITCH_HEARTBEAT: 'node heartbeat interval; default 1s',
  FAXSWITCH_NODE_DEAD_AFTER: 'heartbeat silence after which a node is dead; default 3s',
} as const;

export function loadConfig(env: Environment = process.env): Config {
  const read = new EnvReader(env);
  const cluster: ClusterTimings = {
    leaseTtlMs: read.durationMs('FAXSWITCH_LEASE_TTL', 3_000, { minMs: 500, maxMs: 60_000 }),
    leaseRenewMs: read.durationMs('FAXSWITCH_LEASE_RENEW', 1_000, { minMs: 100, maxMs: 20_000 }),
    heartbeatMs: read.durationMs('FAXSWITCH_HEARTBEAT', 1_000, { minMs: 100, maxMs: 20_000 }),
    nodeDeadAfterMs: read.durationMs('FAXSWITCH_NODE_DEAD_AFTER', 3_000, { minMs: 300, maxMs: 120_000 }),
  };
  const config: Config = {
    nodeName: read.string('FAXSWITCH_NODE_NAME', read.string('POD_NAME', os.hostname())),
    stateDir: path.resolve(read.string('FAXSWITCH_STATE_DIR', 'var')),
    http: read.hostPort('FAXSWITCH_HTTP_LISTEN', { host: '127.0.0.1', port: 8080 }),
    redisUrl: read.optionalUrl('REDIS_URL', ['redis', 'rediss']),
    natsUrl: read.optionalUrl('NATS_URL', ['nats', 'tls']),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    shutdownGraceMs: read.durationMs('FAXSWITCH_SHUTDOWN_GRACE', 25_000, { minMs: 1_000, maxMs: 600_000 }),
    cluster,
  };
  read.assertValid();
  assertCoherent(config);
  return config;
}

/** Rules between variables, which no single reader can check. */
function assertCoherent(config: Config): void {
  const problems: string[] = [];
  const { leaseTtlMs, leaseRenewMs, heartbeatMs, nodeDeadAfterMs } = config.cluster;
  if (leaseRenewMs * 3 > leaseTtlMs) {
    problems.push(
      `FAXSWITCH_LEASE_RENEW (${leaseRenewMs}ms) must be at most a third of FAXSWITCH_LEASE_TTL (${leaseTtlMs}ms), so two renewals can fail before the lease lapses`,
    );
  }
  if (heartbeatMs * 2 > nodeDeadAfterMs) {
    problems.push(
      `FAXSWITCH_NODE_DEAD_AFTER (${nodeDeadAfterMs}ms) must be at least twice FAXSWITCH_HEARTBEAT (${heartbeatMs}ms)`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
}
