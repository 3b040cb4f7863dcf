// A token bucket: `capacity` tokens, refilled at `ratePerSecond`. Used to rate-limit SIP traffic per
// source address and new calls per second per trunk. Time comes in through an injected clock so the
// tests need no sleeps.

export type Clock = () => number;

export class TokenBucket {
  readonly capacity: number;
  readonly ratePerSecond: number;
  #tokens: number;
  #updatedAtMs: number;
  readonly #now: Clock;

  constructor(capacity: number, ratePerSecond: number, now: Clock = Date.now) {
    if (!(capacity > 0) || !(ratePerSecond > 0)) {
      throw new RangeError(`token bucket needs capacity > 0 and rate > 0, got ${capacity}, ${ratePerSecond}`);
    }
    this.capacity = capacity;
    this.ratePerSecond = ratePerSecond;
    this.#tokens = capacity;
    this.#now = now;
    this.#updatedAtMs = now();
  }

  #refill(): void {
    const now = this.#now();
    const elapsedMs = Math.max(0, now - this.#updatedAtMs);
    this.#tokens = Math.min(this.capacity, this.#tokens + (elapsedMs * this.ratePerSecond) / 1000);
    this.#updatedAtMs = now;
  }

  /** Takes one token if there is one. */
  tryTake(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** How long until a token is available (0 when one is). */
  msUntilToken(): number {
    this.#refill();
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) * 1000) / this.ratePerSecond);
  }

  /** True when the bucket is full, i.e. unused long enough to forget. */
  isIdle(): boolean {
    this.#refill();
    return this.#tokens >= this.capacity;
  }
}

/** One bucket per key (source address), with idle buckets swept so a spray of sources cannot
 * grow the map without bound. */
export class KeyedRateLimiter {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #capacity: number;
  readonly #ratePerSecond: number;
  readonly #maxKeys: number;
  readonly #now: Clock;

  constructor(options: { capacity: number; ratePerSecond: number; maxKeys?: number; now?: Clock }) {
    this.#capacity = options.capacity;
    this.#ratePerSecond = options.ratePerSecond;
    this.#maxKeys = options.maxKeys ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  allow(key: string): boolean {
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxKeys) this.#sweep();
      // Still full after sweeping: every known source is active. Refusing the newcomer keeps the
      // memory bound; a real flood from many addresses belongs to the edge, not here.
      if (this.#buckets.size >= this.#maxKeys) return false;
      bucket = new TokenBucket(this.#capacity, this.#ratePerSecond, this.#now);
      this.#buckets.set(key, bucket);
    }
    return bucket.tryTake();
  }

  #sweep(): void {
    for (const [key, bucket] of this.#buckets) if (bucket.isIdle()) this.#buckets.delete(key);
  }
}
