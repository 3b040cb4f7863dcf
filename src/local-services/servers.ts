// How to run redis-server and nats-server for one node or one test: the arguments that make them
// durable enough for faxswitch (Redis AOF everysec, JetStream file store), bound to loopback.
import { createServer } from 'node:net';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { findExecutable, ManagedProcess } from './managed-process.ts';

/** Asks the kernel for a free TCP port on `host`. */
export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address was assigned');
  return address.port;
}

export interface LocalServerOptions {
  readonly host?: string;
  /** A fixed port; default: a free one. Restarts keep the port either way. */
  readonly port?: number;
  /** Directory for the server's data; created if missing. */
  readonly dataDir: string;
  readonly onOutput?: (line: string) => void;
}

export interface LocalServer {
  readonly process: ManagedProcess;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
}

export async function createLocalRedis(options: LocalServerOptions): Promise<LocalServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await findFreePort(host));
  await mkdir(options.dataDir, { recursive: true });
  const args = [
    '--bind',
    host,
    '--port',
    String(port),
    '--dir',
    options.dataDir,
    // Decision 7: AOF everysec keeps ~40k fenced writes/s and loses at most a second on a crash.
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
    '--protected-mode',
    'yes',
    '--daemonize',
    'no',
    '--logfile',
    '',
  ];
  const process = new ManagedProcess({
    name: 'redis-server',
    executable: findExecutable('redis-server', 'redis-server'),
    args,
    readyPattern: /Ready to accept connections/,
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
  });
  return { process, host, port, url: `redis://${host}:${port}`, dataDir: options.dataDir };
}

export async function createLocalNats(options: LocalServerOptions): Promise<LocalServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await findFreePort(host));
  const storeDir = path.join(options.dataDir, 'jetstream');
  await mkdir(storeDir, { recursive: true });
  const args = ['-a', host, '-p', String(port), '-js', '-sd', storeDir, '-n', `faxswitch-${port}`];
  const process = new ManagedProcess({
    name: 'nats-server',
    executable: findExecutable('nats-server', 'nats-server'),
    args,
    readyPattern: /Server is ready/,
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
  });
  return { process, host, port, url: `nats://${host}:${port}`, dataDir: options.dataDir };
}
