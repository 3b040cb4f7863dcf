import { describe, expect, it } from 'vitest';
import {
  checkDestination,
  DestinationNotAllowedError,
  hashPassword,
  InvalidFaxNumberError,
  verifyPassword,
  type DialPlan,
} from '../../../src/accounts/index.ts';

const germany: DialPlan = {
  homeCountry: 'DE',
  allowedCountries: ['DE', 'AT'],
  allowedPrefixes: [],
  blockedPrefixes: ['+4930999'],
  blockPremiumRate: true,
};

describe('checkDestination', () => {
  it.each([
    ['+49 30 1234567', '+49301234567'],
    ['0049301234567', '+49301234567'],
    ['030 1234567', '+49301234567'], // national format, account's home country
    ['+43 1 5123456', '+4315123456'],
  ])('normalises %s to %s', (written, e164) => {
    expect(checkDestination(written, germany)).toBe(e164);
  });

  it('refuses what is not a number with 550 5.1.1', () => {
    const error = (() => {
      try {
        checkDestination('sales', germany);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InvalidFaxNumberError);
    expect((error as InvalidFaxNumberError).wire.smtp).toEqual({ code: 550, enhanced: '5.1.1' });
    expect(() => checkDestination('+49 30', germany)).toThrow(/not a valid fax number/);
  });

  it('refuses countries outside the plan, premium-rate lines and blocked ranges with 550 5.7.1', () => {
    expect(() => checkDestination('+33 1 44 55 66 77', germany)).toThrow(DestinationNotAllowedError);
    expect(() => checkDestination('+33 1 44 55 66 77', germany)).toThrow(/outside this account's dial plan/);
    expect(() => checkDestination('+1 900 555 1234', { ...germany, allowedCountries: [] })).toThrow(
      /premium-rate number/,
    );
    expect(() => checkDestination('+49 30 9991234', germany)).toThrow(/blocked range/);
  });

  it('allows extra prefixes beside whole countries', () => {
    const plan = { ...germany, allowedPrefixes: ['+4121'] };
    expect(checkDestination('+41 21 123 45 67', plan)).toBe('+41211234567');
    expect(() => checkDestination('+41 44 123 45 67', plan)).toThrow(DestinationNotAllowedError);
  });
});

describe('password hashes', () => {
  it('verify the password they were made from, and nothing else', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(hash).not.toContain('horse');
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(await verifyPassword('Correct horse battery staple', hash)).toBe(false);
    expect(await hashPassword('same')).not.toBe(await hashPassword('same')); // salted
  });
});
