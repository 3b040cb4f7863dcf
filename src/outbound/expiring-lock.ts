// Locks that expire unless their holder keeps extending them: a holder that dies (kill -9, a lost
// node) lets its lock lapse after `ttlMs` without anyone cleaning up. Extension and release act only
// for the holder's own token (compare-and-set scripts from src/outbound/lua, loaded as a versioned
// function library like the cluster's own). A holder must stop acting once `validUntil` has passed
// without a successful extension: from then on another holder may already have the lock.
import path from 'node:path';
import type { Redis } from 'ioredis';
import { scriptLibrary, ScriptRunner } from '../../cluster/index.ts';

const LIBRARY = scriptLibrary(path.join(import.meta.dirname, 'lua'), 'faxswitch_outbound');

export interface HeldLock {
  readonly token: string;
  /** Keeps the lock for another `ttlMs`; false when it was lost. */
  extend(): Promise<boolean>;
  release(): Promise<void>;
  /** Local monotonic time (performance.now) until which the lock is certainly still ours. */
  readonly validUntil: number;
}

export class ExpiringLocks {
  readonly #redis: Redis;
  readonly #scripts: ScriptRunner<'extendLock' | 'releaseLock'>;
  readonly #prefix: string;
  readonly #ttlMs: number;

  constructor(redis: Redis, options: { prefix: string; ttlMs: number }) {
    this.#redis = redis;
    this.#scripts = new ScriptRunner(redis, LIBRARY);
    this.#prefix = options.prefix;
    this.#ttlMs = options.ttlMs;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  #key(name: string): string {
    return `${this.#prefix}:${name}`;
  }

  /** The lock when it was free (or already held by this very token), else undefined. */
  async tryAcquire(name: string, token: string): Promise<HeldLock | undefined> {
    const key = this.#key(name);
    const startedAt = performance.now();
    const acquired = await this.#redis.set(key, token, 'PX', this.#ttlMs, 'NX');
    // The same token already holding it is a retry of this acquisition, not a rival.
    if (acquired !== 'OK' && (await this.#redis.get(key)) !== token) return undefined;
    // Trusted a little less than its TTL: clocks run at slightly different rates.
    const margin = Math.min(500, this.#ttlMs / 4);
    let validUntil = startedAt + this.#ttlMs - margin;
    return {
      token,
      get validUntil() {
        return validUntil;
      },
      extend: async () => {
        const sentAt = performance.now();
        const extended = (await this.#scripts.run('extendLock', [key], [token, String(this.#ttlMs)])) === 1;
        if (extended) validUntil = sentAt + this.#ttlMs - margin;
        return extended;
      },
      release: async () => void (await this.#scripts.run('releaseLock', [key], [token])),
    };
  }

  /** The token of whoever holds the lock now, if anyone. */
  async holder(name: string): Promise<string | undefined> {
    return (await this.#redis.get(this.#key(name))) ?? undefined;
  }

  /** Milliseconds until the lock lapses unless extended; 0 when nobody holds it. */
  async remainingMs(name: string): Promise<number> {
    return Math.max(0, await this.#redis.pttl(this.#key(name)));
  }
}
