// What faxswitch knows about one inbound number (DID): whether it takes faxes, whose it is, where its
// faxes go and how long they are kept. Validation lives here so the CLI, CSV import and any API refuse
// the same things with the same words.
import { TerminalError } from '../../cluster/index.ts';

export const ATTACHMENT_FORMATS = ['pdf', 'tiff', 'both'] as const;
export type AttachmentFormat = (typeof ATTACHMENT_FORMATS)[number];

/** Days to keep archived faxes, or delete as soon as the email was accepted by the mail server. */
export type Retention = { readonly days: number } | 'delete-after-delivery';

export interface DidRecord {
  /** E.164 with a leading +, e.g. +4930123456. */
  readonly number: string;
  readonly active: boolean;
  readonly account: string;
  /** One or more email addresses that receive each fax. */
  readonly recipients: readonly string[];
  readonly attachmentFormat: AttachmentFormat;
  /** Called-subscriber identification sent to the caller (T.30 CSID: up to 20 of digits, +, space). */
  readonly stationId: string;
  readonly retention: Retention;
  /** Optional HTTPS URL notified of each received fax. */
  readonly webhookUrl?: string;
  /** Optional ASCII-armoured OpenPGP public key: faxes are emailed encrypted to it (RFC 3156). */
  readonly pgpPublicKey?: string;
}

export class InvalidDidError extends TerminalError {
  readonly problems: readonly string[];
  constructor(number: string, problems: readonly string[]) {
    super(`${number || 'number'}: ${problems.join('; ')}`, { wire: { http: 400 } });
    this.problems = problems;
  }
}

const E164 = /^\+[1-9]\d{6,14}$/;
// Deliberately plain: an address must have one @, a dot in the domain and no spaces; the mail server
// is the judge of the rest.
const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;
const STATION_ID = /^[0-9+ ]{0,20}$/;
const ACCOUNT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_RECIPIENTS = 20;
const MAX_RETENTION_DAYS = 3_650;

/**
 * The E.164 form of a dialled number as carriers send it: `+4930…`, `4930…`, `tel:+4930…`, with
 * visual separators. Numbers without a country code cannot be told apart, so none is guessed.
 */
export function normalizeNumber(input: string): string {
  const stripped = input
    .trim()
    .replace(/^(tel|sip):/i, '')
    .replace(/[\s().-]/g, '');
  return stripped.startsWith('+') ? stripped : `+${stripped}`;
}

export function parseRetention(text: string): Retention | undefined {
  if (text === 'delete-after-delivery') return text;
  const match = /^(\d+)d?$/.exec(text);
  const days = Number(match?.[1]);
  return match && days >= 1 && days <= MAX_RETENTION_DAYS ? { days } : undefined;
}

export function formatRetention(retention: Retention): string {
  return retention === 'delete-after-delivery' ? retention : `${retention.days}d`;
}

/** Input as it comes from a person: loose types, to be checked. */
export interface DidInput {
  readonly number: string;
  readonly active?: boolean;
  readonly account: string;
  readonly recipients: readonly string[];
  readonly attachmentFormat?: string;
  readonly stationId?: string;
  readonly retention?: string;
  readonly webhookUrl?: string;
  readonly pgpPublicKey?: string;
}

const PGP_ARMOR =
  /^-----BEGIN PGP PUBLIC KEY BLOCK-----\r?\n[\s\S]+\r?\n-----END PGP PUBLIC KEY BLOCK-----\s*$/;
const MAX_PGP_KEY_BYTES = 64 * 1024;

export function validateDid(input: DidInput): DidRecord {
  const problems: string[] = [];
  const number = normalizeNumber(input.number);
  if (!E164.test(number)) problems.push(`'${input.number}' is not an E.164 number (+ and 7 to 15 digits)`);
  if (!ACCOUNT.test(input.account)) {
    problems.push(`account '${input.account}' must be 1–64 letters, digits, '.', '_' or '-'`);
  }
  const recipients = input.recipients.map((r) => r.trim()).filter(Boolean);
  if (recipients.length === 0) problems.push('at least one recipient email address is needed');
  if (recipients.length > MAX_RECIPIENTS) problems.push(`at most ${MAX_RECIPIENTS} recipients`);
  for (const address of recipients)
    if (!EMAIL.test(address)) problems.push(`'${address}' is not an email address`);
  const attachmentFormat = (input.attachmentFormat ?? 'pdf') as AttachmentFormat;
  if (!ATTACHMENT_FORMATS.includes(attachmentFormat)) {
    problems.push(
      `attachment format '${input.attachmentFormat}' must be one of ${ATTACHMENT_FORMATS.join(', ')}`,
    );
  }
  const stationId = input.stationId ?? number;
  if (!STATION_ID.test(stationId))
    problems.push(`station id '${stationId}' must be up to 20 digits, '+' or spaces`);
  const retention = parseRetention(input.retention ?? '30d');
  if (!retention) {
    problems.push(
      `retention '${input.retention}' must be a number of days (1–${MAX_RETENTION_DAYS}, e.g. 30d) or delete-after-delivery`,
    );
  }
  if (input.webhookUrl !== undefined && input.webhookUrl !== '') {
    let url: URL | undefined;
    try {
      url = new URL(input.webhookUrl);
    } catch {
      // reported below
    }
    const loopback = url && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    if (!url || !(url.protocol === 'https:' || (url.protocol === 'http:' && loopback))) {
      problems.push(`webhook '${input.webhookUrl}' must be an https:// URL (fax metadata crosses a network)`);
    }
  }
  const pgpPublicKey = input.pgpPublicKey?.trim() || undefined;
  if (
    pgpPublicKey !== undefined &&
    (pgpPublicKey.length > MAX_PGP_KEY_BYTES || !PGP_ARMOR.test(pgpPublicKey))
  ) {
    problems.push('the PGP key must be one ASCII-armoured public key block (at most 64 KiB)');
  }
  if (problems.length > 0 || !retention) throw new InvalidDidError(input.number, problems);
  return {
    number,
    active: input.active ?? true,
    account: input.account,
    recipients,
    attachmentFormat,
    stationId,
    retention,
    ...(input.webhookUrl ? { webhookUrl: input.webhookUrl } : {}),
    ...(pgpPublicKey ? { pgpPublicKey } : {}),
  };
}
