import { describe, expect, it } from 'vitest';
import { KeyedRateLimiter, TokenBucket } from '../../../src/sip/token-bucket.ts';

describe('token bucket', () => {
  it('allows a burst, then the refill rate', () => {
    let now = 0;
    const bucket = new TokenBucket(3, 2, () => now);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(bucket.msUntilToken()).toBe(500);
    now = 500;
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
  });

  it('limits per key and forgets idle keys when full', () => {
    let now = 0;
    const limiter = new KeyedRateLimiter({ capacity: 1, ratePerSecond: 1, maxKeys: 2, now: () => now });
    expect(limiter.allow('a')).toBe(true);
    expect(limiter.allow('a')).toBe(false);
    expect(limiter.allow('b')).toBe(true);
    expect(limiter.allow('c')).toBe(false); // both known sources are active
    now = 2000;
    expect(limiter.allow('c')).toBe(true); // idle ones were swept
  });

  it('refuses nonsense settings', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(RangeError);
  });
});
