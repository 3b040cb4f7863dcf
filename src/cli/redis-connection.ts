// How CLI commands reach the cluster's Redis: REDIS_URL when set, else the private redis-server of
// the node running on this machine (found through its state directory).
import { Redis } from 'ioredis';
import { loadConfig } from '../config/index.ts';
import { readEndpoints } from '../local-services/index.ts';

export async function withRedis<T>(use: (redis: Redis) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const url = config.redisUrl?.href ?? readEndpoints(config.stateDir).redisUrl;
  const redis = new Redis(url, { maxRetriesPerRequest: 2, lazyConnect: true });
  try {
    await redis.connect();
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}
