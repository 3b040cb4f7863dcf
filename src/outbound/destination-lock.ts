// One call at a time to the same number across the cluster: a fax machine has one line, and two
// nodes dialling it at once would make both attempts fail busy. The lock is a Redis key holding
// `<job>:<epoch>` with a time to live that the caller extends while its call lasts; a node that
// dies lets it lapse. Release and extension only act for the holder (compare-and-delete scripts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';

const LUA_DIR = path.join(import.meta.dirname, 'lua');
const RELEASE = readFileSync(path.join(LUA_DIR, 'releaseDestination-1.lua'), 'utf8');
const EXTEND = readFileSync(path.join(LUA_DIR, 'extendDestination-1.lua'), 'utf8');

export interface DestinationLease {
  /** Keeps the lock for another `ttlMs`; false when it was lost. */
  extend(): Promise<boolean>;
  release(): Promise<void>;
}

export class DestinationLocks {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ttlMs: number;

  constructor(redis: Redis, options: { namespace?: string; ttlMs?: number } = {}) {
    this.#redis = redis;
    this.#prefix = `${options.namespace ?? 'faxswitch'}:destination-lock`;
    this.#ttlMs = options.ttlMs ?? 30_000;
  }

  /** The lease when the destination was free, or undefined when another job is calling it. */
  async tryAcquire(destination: string, jobId: string, epoch: number): Promise<DestinationLease | undefined> {
    const key = `${this.#prefix}:${destination}`;
    const token = `${jobId}:${epoch}`;
    const acquired = await this.#redis.set(key, token, 'PX', this.#ttlMs, 'NX');
    // The same job and epoch already holding it is a retry of this acquisition, not a rival.
    if (acquired !== 'OK' && (await this.#redis.get(key)) !== token) return undefined;
    return {
      extend: async () => (await this.#redis.eval(EXTEND, 1, key, token, String(this.#ttlMs))) === 1,
      release: async () => void (await this.#redis.eval(RELEASE, 1, key, token)),
    };
  }

  /** The job currently calling the destination, if any. */
  async holder(destination: string): Promise<string | undefined> {
    return (await this.#redis.get(`${this.#prefix}:${destination}`)) ?? undefined;
  }
}
