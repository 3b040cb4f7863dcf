// The chaos oracle must itself be right: it refuses stale epochs, recognises a repeated attempt, and
// counts two confirmed attempts of one job as a duplicate.
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../chaos/ledger.ts';

describe('chaos ledger', () => {
  it('refuses an epoch older than the newest seen for the job', async () => {
    const ledger = new Ledger(() => 1);
    expect(await ledger.deliver({ job: 'j', key: 'j:2:0', epoch: 10 })).toEqual({
      status: 200,
      receipt: 'receipt:j:2:0',
    });
    expect(await ledger.deliver({ job: 'j', key: 'j:2:0', epoch: 9 })).toEqual({ status: 409 });
    expect(ledger.stats()).toMatchObject({ confirmedJobs: 1, duplicates: 0, staleRefusals: 1 });
  });

  it('answers a repeated attempt with its outcome, and counts a second attempt as a duplicate', async () => {
    const ledger = new Ledger(() => 1);
    await ledger.deliver({ job: 'j', key: 'j:2:0', epoch: 10 });
    expect(await ledger.deliver({ job: 'j', key: 'j:2:0', epoch: 11 })).toEqual({
      status: 200,
      receipt: 'receipt:j:2:0',
    });
    expect(ledger.confirmedCount('j')).toBe(1);
    await ledger.deliver({ job: 'j', key: 'j:5:0', epoch: 11 });
    expect(ledger.stats()).toMatchObject({ duplicates: 1, repeatedAttempts: 1 });
  });
});
