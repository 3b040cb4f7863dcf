// Readiness follows the dependencies: a node stops answering ready while Redis or NATS is away and
// becomes ready again by itself when they return — no restart of the node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { loadConfig } from '../../../src/config/index.ts';
import { startNode, type RunningNode } from '../../../src/main.ts';
import { createLogger } from '../../../src/observability/index.ts';
import { findFreePort } from '../../../src/local-services/index.ts';
import { makeTempDir, startNats, startRedis, waitFor, type TestServer } from '../../helpers/index.ts';

describe('node readiness under dependency outages', () => {
  let redis: TestServer;
  let nats: TestServer;
  let node: RunningNode;

  beforeAll(async () => {
    [redis, nats] = await Promise.all([startRedis(), startNats()]);
    const config = loadConfig({
      REDIS_URL: redis.url,
      NATS_URL: nats.url,
      FAXSWITCH_HTTP_LISTEN: `127.0.0.1:${await findFreePort()}`,
      FAXSWITCH_SIP_LISTEN: `127.0.0.1:${await findFreePort()}`,
      FAXSWITCH_STATE_DIR: makeTempDir(),
    });
    const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
    node = await startNode(
      config,
      createLogger({ level: 'info', nodeName: 'readiness-test', destination: quiet }),
    );
  });

  afterAll(async () => {
    await node.stop();
    await Promise.all([redis.dispose(), nats.dispose()]);
  });

  async function readiness(): Promise<{ code: number; body: { checks: Record<string, string> } }> {
    const response = await fetch(`${node.httpUrl}/readyz`);
    return { code: response.status, body: (await response.json()) as { checks: Record<string, string> } };
  }

  it('uses the configured servers and starts none of its own', () => {
    expect(node.redisUrl).toBe(`${redis.url}`);
    expect(node.natsUrl).toBe(`${nats.url}`);
  });

  it('goes not-ready while Redis is down and recovers when it returns', async () => {
    expect((await readiness()).code).toBe(200);
    await redis.process.kill();
    const down = await waitFor(async () => {
      const r = await readiness();
      return r.code === 503 ? r : undefined;
    });
    expect(down.body.checks['redis']).not.toBe('ok');
    expect(down.body.checks['nats']).toBe('ok');
    await redis.process.start();
    await waitFor(async () => (await readiness()).code === 200, { what: 'readiness to return' });
  });

  it('goes not-ready while NATS is down and recovers when it returns', async () => {
    await nats.process.kill();
    const down = await waitFor(async () => {
      const r = await readiness();
      return r.code === 503 ? r : undefined;
    });
    expect(down.body.checks['nats']).not.toBe('ok');
    await nats.process.start();
    await waitFor(async () => (await readiness()).code === 200, {
      what: 'readiness to return',
      timeoutMs: 15_000,
    });
  });
});
