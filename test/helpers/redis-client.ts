// A private redis-server and a connected client for one test file: started before its tests, stopped
// after them. Call at the top of a describe block.
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { startRedis, type TestServer } from './services.ts';

export interface RedisForTests {
  readonly client: () => Redis;
  readonly server: () => TestServer;
}

export function useRedis(): RedisForTests {
  let server: TestServer | undefined;
  let client: Redis | undefined;
  beforeAll(async () => {
    server = await startRedis();
    client = new Redis(server.url);
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.dispose();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined)
      throw new Error('useRedis(): the server starts in beforeAll; use it inside tests');
    return value;
  };
  return { client: () => started(client), server: () => started(server) };
}
