import { describe, expect, it } from 'vitest';
import { AccountStore, UsageLimitError, type Account } from '../../../src/accounts/index.ts';
import { ACME_ACCOUNT } from '../../fixtures/accounts.ts';
import { uniqueNamespace, useRedis } from '../../helpers/index.ts';

const acme: Account = {
  ...ACME_ACCOUNT,
  limits: { faxesPerHour: 3, pagesPerDay: 10 },
  allowedSenders: ['@acme.example', 'partner@other.example'],
};

describe('AccountStore', () => {
  const redis = useRedis();
  const store = async (): Promise<AccountStore> => {
    const accounts = new AccountStore(redis.client(), { namespace: uniqueNamespace('acct') });
    await accounts.save(acme);
    return accounts;
  };

  it('authenticates a login only with its own password, and only while the account is active', async () => {
    const accounts = await store();
    await accounts.setLogin('acme', 'Alice@ACME.example', 's3cret-enough');
    expect((await accounts.authenticate('alice@acme.example', 's3cret-enough'))?.id).toBe('acme');
    expect(await accounts.authenticate('alice@acme.example', 'wrong')).toBeUndefined();
    expect(await accounts.authenticate('mallory@acme.example', 's3cret-enough')).toBeUndefined();
    await accounts.save({ ...acme, active: false });
    expect(await accounts.authenticate('alice@acme.example', 's3cret-enough')).toBeUndefined();
  });

  it('finds the account for an MX sender by address, then by domain, and forgets removed senders', async () => {
    const accounts = await store();
    expect((await accounts.accountForSender('anyone@acme.example'))?.id).toBe('acme');
    expect((await accounts.accountForSender('partner@other.example'))?.id).toBe('acme');
    expect(await accounts.accountForSender('someone@other.example')).toBeUndefined();
    await accounts.save({ ...acme, allowedSenders: ['@acme.example'] });
    expect(await accounts.accountForSender('partner@other.example')).toBeUndefined();
  });

  it('reserves usage all or nothing and refuses past the limit with 450 4.7.1', async () => {
    const accounts = await store();
    const now = Date.UTC(2026, 10, 22, 10, 15);
    await accounts.reserveUsage(acme, { faxes: 2, pages: 4 }, now);
    const error = await accounts
      .reserveUsage(acme, { faxes: 2, pages: 2 }, now)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageLimitError);
    expect((error as UsageLimitError).wire.smtp).toEqual({ code: 450, enhanced: '4.7.1' });
    expect((error as Error).message).toBe('account acme has reached its limit of 3 faxes per hour');
    expect((error as UsageLimitError).retryAfterMs).toBe(45 * 60_000); // 10:15 → the 11:00 window
    // The refused reservation took nothing: one more fax still fits this hour.
    await accounts.reserveUsage(acme, { faxes: 1, pages: 1 }, now);
    expect(await accounts.usage(acme, now)).toEqual({ faxesThisHour: 3, pagesToday: 5 });
    // Next hour, the hourly window is fresh but the day's pages still count, until midnight UTC.
    const daily = await accounts
      .reserveUsage(acme, { faxes: 1, pages: 6 }, now + 3_600_000)
      .catch((caught: unknown) => caught as UsageLimitError);
    expect(daily?.message).toMatch(/10 pages per day/);
    expect(daily?.retryAfterMs).toBe((24 - 11.25) * 3_600_000);
    expect(await accounts.usage(acme, now + 3_600_000)).toEqual({ faxesThisHour: 0, pagesToday: 5 });
  });

  it('lists accounts with their logins; a login moved or removed leaves its old account', async () => {
    const accounts = await store();
    await accounts.save({ ...acme, id: 'beta', name: 'Beta AG' });
    await accounts.setLogin('acme', 'alice@acme.example', 's3cret-enough');
    await accounts.setLogin('acme', 'bob@acme.example', 's3cret-enough');
    expect((await accounts.list()).map((account) => account.id)).toEqual(['acme', 'beta']);
    expect((await accounts.logins('acme')).map((login) => login.address)).toEqual([
      'alice@acme.example',
      'bob@acme.example',
    ]);
    await accounts.setLogin('beta', 'bob@acme.example', 'another-secret');
    await accounts.removeLogin('alice@acme.example');
    expect(await accounts.logins('acme')).toEqual([]);
    expect(await accounts.logins('beta')).toEqual([{ address: 'bob@acme.example', accountId: 'beta' }]);
    expect((await accounts.authenticate('bob@acme.example', 'another-secret'))?.id).toBe('beta');
  });
});
