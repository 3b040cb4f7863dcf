// Validates trunk configuration from untrusted input (a JSON environment variable or file) into
// `TrunkConfig`s, applying defaults. Errors name the exact field and the accepted values, e.g.
// `FAXSWITCH_SIP_TRUNKS[1].t38Policy must be one of offer-on-reinvite, accept-peer, force-audio`.
import { TerminalError } from '../../cluster/index.ts';
import { T38_POLICIES, type T38Policy } from './call-control.ts';
import type { TrunkConfig } from './trunks.ts';

export class SipConfigError extends TerminalError {}

const DEFAULTS = {
  codecs: ['PCMA', 'PCMU'],
  t38Policy: 'offer-on-reinvite',
  maxChannels: 30,
  callsPerSecond: 5,
  setupTimeoutMs: 4_000,
  answerTimeoutMs: 60_000,
} as const;

const MAX_TRUNKS = 64;
const KNOWN_FIELDS = new Set([
  'name',
  'proxy',
  'domain',
  'username',
  'password',
  'codecs',
  't38Policy',
  'maxChannels',
  'callsPerSecond',
  'setupTimeoutMs',
  'answerTimeoutMs',
]);

function fail(where: string, message: string): never {
  throw new SipConfigError(`${where} ${message}`);
}

function text(
  record: Record<string, unknown>,
  where: string,
  field: string,
  pattern: RegExp,
  required: boolean,
): string | undefined {
  const value = record[field];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || !pattern.test(value))
    fail(`${where}.${field}`, `must match ${pattern.source}, got ${JSON.stringify(value)}`);
  return value;
}

function integer(
  record: Record<string, unknown>,
  where: string,
  field: keyof typeof DEFAULTS,
  min: number,
  max: number,
): number {
  const value = record[field] ?? DEFAULTS[field];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(`${where}.${field}`, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** `value` is the parsed JSON: an array of trunk objects. `source` names it in errors. */
export function parseTrunkConfigs(value: unknown, source: string): TrunkConfig[] {
  if (!Array.isArray(value)) fail(source, 'must be a JSON array of trunks');
  if (value.length > MAX_TRUNKS) fail(source, `has ${value.length} trunks; at most ${MAX_TRUNKS}`);
  const names = new Set<string>();
  return value.map((entry: unknown, index): TrunkConfig => {
    const where = `${source}[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail(where, 'must be an object');
    const record = entry as Record<string, unknown>;
    for (const field of Object.keys(record))
      if (!KNOWN_FIELDS.has(field))
        fail(`${where}.${field}`, `is not a trunk field (known: ${[...KNOWN_FIELDS].join(', ')})`);
    const name = text(record, where, 'name', /^[A-Za-z0-9_-]{1,32}$/, true) ?? '';
    if (names.has(name)) fail(`${where}.name`, `'${name}' is used twice`);
    names.add(name);
    const username = text(record, where, 'username', /^[^\s"]{1,128}$/, false);
    const password = text(record, where, 'password', /^[^\r\n]{1,256}$/, false);
    if ((username === undefined) !== (password === undefined))
      fail(where, 'needs both username and password, or neither');
    const codecsValue = record['codecs'] ?? DEFAULTS.codecs;
    if (
      !Array.isArray(codecsValue) ||
      codecsValue.length === 0 ||
      !codecsValue.every((c) => typeof c === 'string' && /^[A-Za-z0-9.-]{1,16}$/.test(c))
    ) {
      fail(
        `${where}.codecs`,
        `must be a non-empty array of codec names such as ["PCMA","PCMU"], got ${JSON.stringify(codecsValue)}`,
      );
    }
    const t38Policy = record['t38Policy'] ?? DEFAULTS.t38Policy;
    if (typeof t38Policy !== 'string' || !(T38_POLICIES as readonly string[]).includes(t38Policy)) {
      fail(
        `${where}.t38Policy`,
        `must be one of ${T38_POLICIES.join(', ')}, got ${JSON.stringify(t38Policy)}`,
      );
    }
    const domain = text(record, where, 'domain', /^[A-Za-z0-9.:[\]-]{1,253}$/, false);
    return {
      name,
      proxy:
        text(record, where, 'proxy', /^(sips?:)?[A-Za-z0-9.[\]:-]+(:\d{1,5})?(;[A-Za-z0-9=_-]+)*$/, true) ??
        '',
      ...(domain === undefined ? {} : { domain }),
      ...(username === undefined ? {} : { username, password: password ?? '' }),
      codecs: codecsValue as string[],
      t38Policy: t38Policy as T38Policy,
      maxChannels: integer(record, where, 'maxChannels', 1, 10_000),
      callsPerSecond: integer(record, where, 'callsPerSecond', 1, 1_000),
      setupTimeoutMs: integer(record, where, 'setupTimeoutMs', 100, 120_000),
      answerTimeoutMs: integer(record, where, 'answerTimeoutMs', 1_000, 600_000),
    };
  });
}
