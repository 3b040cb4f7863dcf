// The node's HTTP listener for people and orchestrators: /healthz (the process is alive),
// /readyz (every dependency answers; Kubernetes stops routing to the pod otherwise) and /metrics.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

/** A named check; resolves when the dependency answers, rejects (or times out) when it does not. */
export interface ReadinessCheck {
  readonly name: string;
  readonly check: () => Promise<void>;
}

export interface HealthServerOptions {
  readonly host: string;
  readonly port: number;
  readonly checks: readonly ReadinessCheck[];
  readonly metrics: Registry;
  readonly checkTimeoutMs?: number;
  /** False while draining: the node answers not-ready so no new work is routed to it. */
  readonly acceptingWork: () => boolean;
}

export interface RunningHealthServer {
  readonly url: string;
  close(): Promise<void>;
}

async function runChecks(
  checks: readonly ReadinessCheck[],
  timeoutMs: number,
): Promise<Record<string, string>> {
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs}ms`)), timeoutMs);
      });
      try {
        await Promise.race([check(), timeout]);
        return [name, 'ok'] as const;
      } catch (error) {
        return [name, error instanceof Error ? error.message : String(error)] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(results);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(`${JSON.stringify(body)}\n`);
}

export async function startHealthServer(options: HealthServerOptions): Promise<RunningHealthServer> {
  const timeoutMs = options.checkTimeoutMs ?? 1_000;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    switch (path) {
      case '/healthz':
        sendJson(res, 200, { status: 'alive' });
        return;
      case '/readyz': {
        const checks = await runChecks(options.checks, timeoutMs);
        const draining = !options.acceptingWork();
        const ready = !draining && Object.values(checks).every((result) => result === 'ok');
        sendJson(res, ready ? 200 : 503, {
          status: ready ? 'ready' : draining ? 'draining' : 'not ready',
          checks,
        });
        return;
      }
      case '/metrics':
        res.writeHead(200, { 'content-type': options.metrics.contentType });
        res.end(await options.metrics.metrics());
        return;
      default:
        sendJson(res, 404, { error: `no such path: ${path}` });
    }
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
