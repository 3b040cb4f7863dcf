// Letters to one mail domain are paced across the whole cluster (big providers defer a sender that
// floods them): a per-domain counter per second in Redis; past the limit, the sender waits for the
// next second. Fixed windows allow a burst of twice the rate at a boundary, which mail servers
// tolerate; the point is to stay far from their thresholds, not to meter exactly.
import type { Redis } from 'ioredis';

export class DomainThrottle {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #perSecond: number;
  readonly #clock: () => number;

  constructor(redis: Redis, perSecond: number, options: { namespace?: string; clock?: () => number } = {}) {
    this.#redis = redis;
    this.#perSecond = perSecond;
    this.#prefix = `${options.namespace ?? 'faxswitch'}:domain-rate`;
    this.#clock = options.clock ?? Date.now;
  }

  /** Resolves when a message to `domain` may go; `signal` gives up the wait. */
  async take(domain: string, signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.#clock();
      const second = Math.floor(now / 1000);
      const key = `${this.#prefix}:${domain.toLowerCase()}:${second}`;
      const [[, count]] = (await this.#redis.multi().incr(key).expire(key, 2).exec()) as [[null, number]];
      if (count <= this.#perSecond) return;
      await new Promise((resolve) => setTimeout(resolve, (second + 1) * 1000 - now + Math.random() * 50));
    }
  }
}
