// One call at a time to the same number across the cluster: a fax machine has one line, and two
// nodes dialling it at once would make both attempts fail busy. The lock holds the token of the
// call execution that dials (`<job>:<execution>`) and lapses a short time after its holder stops
// extending it, so a dead node's number is free again within seconds.
import type { Redis } from 'ioredis';
import { ExpiringLocks, type HeldLock } from './expiring-lock.ts';

export class DestinationLocks {
  readonly #locks: ExpiringLocks;

  constructor(redis: Redis, options: { namespace?: string; ttlMs?: number } = {}) {
    this.#locks = new ExpiringLocks(redis, {
      prefix: `${options.namespace ?? 'faxswitch'}:destination-lock`,
      ttlMs: options.ttlMs ?? 2_000,
    });
  }

  /** The lock when the destination was free, or undefined while another call is on it. */
  tryAcquire(destination: string, holder: string): Promise<HeldLock | undefined> {
    return this.#locks.tryAcquire(destination, holder);
  }

  /** Milliseconds until the destination is free unless its holder extends the lock. */
  remainingMs(destination: string): Promise<number> {
    return this.#locks.remainingMs(destination);
  }

  /** Who is calling the destination now, if anyone. */
  holder(destination: string): Promise<string | undefined> {
    return this.#locks.holder(destination);
  }
}
