// Where an account may send faxes. Numbers arrive as people write them in an email address
// (`+4930…`, `004930…`, `030…` with the account's home country) and leave as E.164, or are refused
// with the reason: not a number, a country or prefix the account may not call, a premium-rate line.
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { TerminalError } from '../../cluster/index.ts';

export interface DialPlan {
  /** Country for numbers written without an international prefix (ISO 3166 alpha-2). */
  readonly homeCountry: string;
  /** ISO countries the account may call; empty means any. */
  readonly allowedCountries: readonly string[];
  /** E.164 prefixes the account may call in addition to/instead of whole countries; empty means no restriction. */
  readonly allowedPrefixes: readonly string[];
  /** E.164 prefixes never called (e.g. known fraud ranges). */
  readonly blockedPrefixes: readonly string[];
  readonly blockPremiumRate: boolean;
}

export class InvalidFaxNumberError extends TerminalError {
  constructor(message: string) {
    super(message, { wire: { smtp: { code: 550, enhanced: '5.1.1' }, http: 400 } });
  }
}

export class DestinationNotAllowedError extends TerminalError {
  constructor(message: string) {
    super(message, { wire: { smtp: { code: 550, enhanced: '5.7.1' }, http: 403 } });
  }
}

const BLOCKED_TYPES = new Set(['PREMIUM_RATE', 'SHARED_COST', 'PERSONAL_NUMBER', 'UAN']);

/** Normalises a written number to E.164 and checks it against the plan. */
export function checkDestination(written: string, plan: DialPlan): string {
  const cleaned = written
    .trim()
    .replace(/[\s().\-/]/g, '')
    .replace(/^00/, '+');
  if (!/^\+?\d{3,17}$/.test(cleaned)) throw new InvalidFaxNumberError(`'${written}' is not a fax number`);
  const parsed = parsePhoneNumberFromString(cleaned, plan.homeCountry as CountryCode);
  if (!parsed?.isValid()) throw new InvalidFaxNumberError(`'${written}' is not a valid fax number`);
  const e164 = parsed.number;
  const type = parsed.getType();
  if (plan.blockPremiumRate && type !== undefined && BLOCKED_TYPES.has(type)) {
    throw new DestinationNotAllowedError(
      `${e164} is a ${type.toLowerCase().replace(/_/g, '-')} number, which this account may not call`,
    );
  }
  if (plan.blockedPrefixes.some((prefix) => e164.startsWith(prefix))) {
    throw new DestinationNotAllowedError(`${e164} is in a blocked range`);
  }
  const country = parsed.country ?? '';
  const byCountry = plan.allowedCountries.length === 0 || plan.allowedCountries.includes(country);
  const byPrefix = plan.allowedPrefixes.some((prefix) => e164.startsWith(prefix));
  const restricted = plan.allowedCountries.length > 0 || plan.allowedPrefixes.length > 0;
  if (restricted && !(byPrefix || (plan.allowedCountries.length > 0 && byCountry))) {
    throw new DestinationNotAllowedError(
      `${e164} (${country || 'unknown country'}) is outside this account's dial plan`,
    );
  }
  return e164;
}
