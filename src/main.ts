// The composition root: builds one faxswitch node from its configuration and runs it. With no
// REDIS_URL/NATS_URL it starts and supervises private redis-server and nats-server processes under
// the state directory, so one command runs the whole switch on one machine.
import path from 'node:path';
import { Redis } from 'ioredis';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { loadConfig, redactUrl, type Config } from './config/index.ts';
import { createLogger, createMetricsRegistry, type Logger } from './observability/index.ts';
import { startHealthServer, type RunningHealthServer } from './http/index.ts';
import { startFaxServices, type FaxServices } from './switch/index.ts';
import {
  createLocalNats,
  createLocalRedis,
  lockStateDir,
  removeEndpoints,
  writeEndpoints,
  type LocalServer,
  type StateDirLock,
} from './local-services/index.ts';

export interface RunningNode {
  readonly config: Config;
  readonly httpUrl: string;
  readonly redisUrl: string;
  readonly natsUrl: string;
  /** Where this node takes SIP calls. */
  readonly sip: { readonly host: string; readonly port: number };
  /** Where this node takes Email2Fax mail. */
  readonly smtp: FaxServices['smtp'];
  /** Graceful shutdown: stop taking work, close clients, stop private servers. */
  stop(): Promise<void>;
}

/** Starts a private server and restarts it if it dies while the node runs. */
async function superviseLocal(server: LocalServer, logger: Logger, isStopping: () => boolean): Promise<void> {
  server.process.on('exit', (code, signal) => {
    if (isStopping()) return;
    logger.error(
      { server: server.process.options.name, code, signal },
      'private server exited; restarting in 1s',
    );
    setTimeout(() => {
      if (isStopping()) return;
      server.process.start().catch((error: unknown) => {
        logger.error({ err: error, server: server.process.options.name }, 'private server failed to restart');
      });
    }, 1_000).unref();
  });
  await server.process.start();
  logger.info(
    { server: server.process.options.name, url: server.url, dataDir: server.dataDir },
    'private server started',
  );
}

export async function startNode(config: Config, logger: Logger): Promise<RunningNode> {
  let stopping = false;
  const isStopping = (): boolean => stopping;
  const localServers: LocalServer[] = [];
  let lock: StateDirLock | undefined;
  let services: FaxServices | undefined;
  /** The configured server's URL, or a private server started and supervised under the state dir. */
  const configuredOrPrivate = async (
    configured: URL | undefined,
    create: typeof createLocalRedis,
    name: string,
  ): Promise<string> => {
    if (configured) return configured.href;
    const server = await create({
      dataDir: path.join(config.stateDir, name),
      onOutput: (line) => logger.debug({ server: name }, line),
    });
    await superviseLocal(server, logger, isStopping);
    localServers.push(server);
    return server.url;
  };

  try {
    if (!config.redisUrl || !config.natsUrl) lock = lockStateDir(config.stateDir);
    const redisUrl = await configuredOrPrivate(config.redisUrl, createLocalRedis, 'redis');
    const natsUrl = await configuredOrPrivate(config.natsUrl, createLocalNats, 'nats');

    const redis = new Redis(redisUrl, {
      maxRetriesPerRequest: 1,
      retryStrategy: () => 250,
      lazyConnect: false,
    });
    redis.on('error', (error) => logger.warn({ err: error.message }, 'redis connection problem'));
    const nats: NatsConnection = await connect({
      servers: natsUrl,
      name: config.nodeName,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });

    const metrics = createMetricsRegistry(config.nodeName);
    services = await startFaxServices({ config, redisUrl, nats, logger, metrics });
    const fax = services;
    const http: RunningHealthServer = await startHealthServer({
      host: config.http.host,
      port: config.http.port,
      metrics,
      acceptingWork: () => !stopping,
      checks: [
        { name: 'redis', check: async () => void (await redis.ping()) },
        {
          name: 'actors',
          check: () =>
            fax.isReady() ? Promise.resolve() : Promise.reject(new Error('actor host not running')),
        },
        {
          name: 'nats',
          check: async () => {
            if (nats.isClosed()) throw new Error('connection closed');
            await nats.flush();
          },
        },
      ],
    });
    if (lock) writeEndpoints(config.stateDir, { redisUrl, natsUrl, httpUrl: http.url });
    const printable = (url: string): string => redactUrl(new URL(url));
    logger.info(
      { http: http.url, redis: printable(redisUrl), nats: printable(natsUrl), stateDir: config.stateDir },
      `faxswitch node ${config.nodeName} listening on ${http.url} (health ${http.url}/healthz, readiness ${http.url}/readyz), SIP on ${fax.sip.host}:${fax.sip.port}${smtpText(fax.smtp)}`,
    );

    return {
      config,
      httpUrl: http.url,
      redisUrl,
      natsUrl,
      sip: fax.sip,
      smtp: fax.smtp,
      async stop() {
        if (stopping) return;
        stopping = true;
        logger.info('shutting down');
        // Readiness turns false at once (stopping); calls in progress get most of the grace time.
        await fax.drain(Math.max(1_000, config.shutdownGraceMs - 3_000));
        await http.close();
        await nats.drain().catch(() => nats.close());
        redis.disconnect();
        await Promise.all(localServers.map((server) => server.process.stop()));
        if (lock) removeEndpoints(config.stateDir);
        lock?.release();
        logger.info('stopped');
      },
    };
  } catch (error) {
    stopping = true;
    await services?.drain(1_000).catch(() => undefined);
    await Promise.all(localServers.map((server) => server.process.stop()));
    lock?.release();
    throw error;
  }
}

function smtpText(smtp: FaxServices['smtp']): string {
  const at = (address: { host: string; port: number } | undefined): string | undefined =>
    address && `${address.host}:${address.port}`;
  const parts = [
    smtp.submission && `submission ${at(smtp.submission)}`,
    smtp.mx && `MX ${at(smtp.mx)}`,
  ].filter(Boolean);
  return parts.length > 0 ? `, Email2Fax SMTP ${parts.join(', ')}` : '';
}

/** Runs a node until SIGTERM/SIGINT; resolves to the process exit code. */
export async function runNodeUntilSignalled(): Promise<number> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, nodeName: config.nodeName });
  const node = await startNode(config, logger);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal }, 'signal received');
  const deadline = setTimeout(() => {
    logger.error({ graceMs: config.shutdownGraceMs }, 'graceful shutdown overran its grace time; exiting');
    process.exit(1);
  }, config.shutdownGraceMs);
  deadline.unref();
  await node.stop();
  clearTimeout(deadline);
  logger.flush();
  return 0;
}

if (import.meta.main) {
  runNodeUntilSignalled().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`faxswitch: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
