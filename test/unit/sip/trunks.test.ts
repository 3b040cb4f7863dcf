import { describe, expect, it } from 'vitest';
import { TrunkPool } from '../../../src/sip/index.ts';
import { trunk } from '../../integration/sip/sip-harness.ts';

describe('trunk pool', () => {
  it('leases in order, respects channel limits and frees channels', () => {
    const pool = new TrunkPool([
      trunk({ name: 'a', proxy: 'a', maxChannels: 1 }),
      trunk({ name: 'b', proxy: 'b', maxChannels: 1 }),
    ]);
    const first = pool.lease(new Set());
    const second = pool.lease(new Set());
    expect([first?.trunk.name, second?.trunk.name]).toEqual(['a', 'b']);
    expect(pool.lease(new Set())).toBeUndefined();
    first?.release();
    first?.release(); // twice is harmless
    expect(pool.channelsInUse('a')).toBe(0);
    expect(pool.lease(new Set(['a']))).toBeUndefined();
    expect(pool.lease(new Set())?.trunk.name).toBe('a');
  });

  it('enforces calls per second with a hint for when to retry', () => {
    let now = 0;
    const pool = new TrunkPool([trunk({ name: 'a', proxy: 'a', callsPerSecond: 2 })], () => now);
    pool.lease(new Set())?.release();
    pool.lease(new Set())?.release();
    expect(pool.lease(new Set())).toBeUndefined();
    expect(pool.msUntilCapacity(new Set())).toBe(500);
    now = 500;
    expect(pool.lease(new Set())?.trunk.name).toBe('a');
  });

  it('takes only a channel for a call the cluster has already paced, never more than the channels', () => {
    const pool = new TrunkPool(
      [trunk({ name: 'a', proxy: 'a', callsPerSecond: 1, maxChannels: 3 })],
      () => 0,
    );
    const leases = [0, 1, 2].map(() => pool.lease(new Set(), { paced: true }));
    expect(leases.map((lease) => lease?.trunk.name)).toEqual(['a', 'a', 'a']);
    expect(pool.lease(new Set(), { paced: true })).toBeUndefined();
  });

  it('refuses duplicate names and zero limits', () => {
    expect(() => new TrunkPool([trunk({ name: 'a', proxy: 'a' }), trunk({ name: 'a', proxy: 'b' })])).toThrow(
      RangeError,
    );
    expect(() => new TrunkPool([trunk({ name: 'a', proxy: 'a', maxChannels: 0 })])).toThrow(RangeError);
  });
});
