// Letters to one mail domain are paced across the whole cluster (big providers defer a sender that
// floods them): `perSecond` letters a second to each domain, from all nodes together.
import type { Redis } from 'ioredis';
import { ClusterPacer } from '../outbound/index.ts';

export class DomainThrottle {
  readonly #pacer: ClusterPacer;
  readonly #perSecond: number;

  constructor(redis: Redis, perSecond: number, options: { namespace?: string } = {}) {
    this.#pacer = new ClusterPacer(redis, { prefix: `${options.namespace ?? 'faxswitch'}:domain-rate` });
    this.#perSecond = perSecond;
  }

  /** Resolves when a message to `domain` may go; `signal` gives up the wait. */
  async take(domain: string, signal?: AbortSignal): Promise<void> {
    await this.#pacer.take(domain.toLowerCase(), this.#perSecond, signal);
  }
}
