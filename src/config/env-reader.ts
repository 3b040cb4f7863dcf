// Typed readers over an environment map. Each reader records what is wrong instead of throwing, so
// one start-up reports every bad variable at once, each with the values it accepts.
import { TerminalError } from '../../cluster/index.ts';

export type Environment = Readonly<Record<string, string | undefined>>;

export class ConfigError extends TerminalError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** Parses `250ms`, `3s`, `2m`, `1h` or a bare number of milliseconds. */
export function parseDurationMs(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match?.[1]) return undefined;
  const unit = (match[2] ?? 'ms') as keyof typeof UNIT_MS;
  return Math.round(Number(match[1]) * UNIT_MS[unit]);
}

/** A value that must never reach a log line: it prints as [redacted]. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'Secret([redacted])';
  }
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export class EnvReader {
  readonly #env: Environment;
  readonly #problems: string[] = [];

  constructor(env: Environment) {
    this.#env = env;
  }

  #raw(name: string): string | undefined {
    const value = this.#env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  #fail<T>(name: string, value: string, accepted: string, fallback: T): T {
    this.#problems.push(`${name}=${JSON.stringify(value)} is not accepted: expected ${accepted}`);
    return fallback;
  }

  string(name: string, fallback: string): string {
    return this.#raw(name) ?? fallback;
  }

  optionalString(name: string): string | undefined {
    return this.#raw(name);
  }

  optionalSecret(name: string): Secret | undefined {
    const value = this.#raw(name);
    return value === undefined ? undefined : new Secret(value);
  }

  integer(name: string, fallback: number, range: { min: number; max: number }): number {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < range.min || value > range.max) {
      return this.#fail(name, raw, `an integer from ${range.min} to ${range.max}`, fallback);
    }
    return value;
  }

  durationMs(name: string, fallbackMs: number, range: { minMs: number; maxMs: number }): number {
    const raw = this.#raw(name);
    if (raw === undefined) return fallbackMs;
    const value = parseDurationMs(raw);
    if (value === undefined || value < range.minMs || value > range.maxMs) {
      return this.#fail(
        name,
        raw,
        `a duration from ${range.minMs}ms to ${range.maxMs}ms, written like 250ms, 3s, 2m or 1h`,
        fallbackMs,
      );
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    const lowered = raw.toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(lowered)) return true;
    if (['0', 'false', 'no', 'off'].includes(lowered)) return false;
    return this.#fail(name, raw, 'one of true, false, yes, no, on, off, 1, 0', fallback);
  }

  oneOf<const T extends string>(name: string, accepted: readonly T[], fallback: T): T {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    return (accepted as readonly string[]).includes(raw)
      ? (raw as T)
      : this.#fail(name, raw, `one of ${accepted.join(', ')}`, fallback);
  }

  /** A URL whose scheme is one of `protocols` (without the colon), e.g. ['redis', 'rediss']. */
  optionalUrl(name: string, protocols: readonly string[]): URL | undefined {
    const raw = this.#raw(name);
    if (raw === undefined) return undefined;
    try {
      const url = new URL(raw);
      if (protocols.includes(url.protocol.replace(/:$/, ''))) return url;
    } catch {
      // reported below
    }
    return this.#fail(
      name,
      raw,
      `a URL such as ${protocols[0]}://host:port (schemes: ${protocols.join(', ')})`,
      undefined,
    );
  }

  /** `host:port`, `[v6]:port` or `:port` (all interfaces). */
  hostPort(name: string, fallback: HostPort): HostPort {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(raw);
    const port = Number(match?.[3]);
    if (!match || port > 65_535) {
      return this.#fail(name, raw, 'host:port, [ipv6]:port or :port with a port from 0 to 65535', fallback);
    }
    return { host: match[1] ?? (match[2] || '0.0.0.0'), port };
  }

  /** Like hostPort, or `off` for a service that is switched off. */
  optionalHostPort(name: string, fallback: HostPort): HostPort | undefined {
    return this.#raw(name)?.toLowerCase() === 'off' ? undefined : this.hostPort(name, fallback);
  }

  /** A comma-separated list whose every item matches `item`; empty when unset. */
  list(name: string, item: RegExp, described: string): string[] {
    const raw = this.#raw(name);
    if (raw === undefined) return [];
    const items = raw.split(',').map((part) => part.trim());
    return items.every((part) => item.test(part))
      ? items
      : this.#fail(name, raw, `a comma-separated list of ${described}`, []);
  }

  optionalInteger(name: string, range: { min: number; max: number }): number | undefined {
    return this.#raw(name) === undefined ? undefined : this.integer(name, range.min, range);
  }

  /** `MIN-MAX`, two ports with MIN < MAX. */
  portRange(name: string, fallback: { min: number; max: number }): { min: number; max: number } {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    const match = /^(\d{1,5})-(\d{1,5})$/.exec(raw);
    const min = Number(match?.[1]);
    const max = Number(match?.[2]);
    if (!match || min < 1024 || max > 65_535 || min >= max) {
      return this.#fail(name, raw, 'MIN-MAX with 1024 ≤ MIN < MAX ≤ 65535, e.g. 20000-29999', fallback);
    }
    return { min, max };
  }

  /** A DNS domain name, lower-cased. */
  domain(name: string, fallback: string): string {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    const lowered = raw.toLowerCase();
    return /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(
      lowered,
    )
      ? lowered
      : this.#fail(name, raw, 'a domain name such as fax.example.com', fallback);
  }

  /** `drachtio://:secret@host:port` (the secret is kept as a Secret). */
  drachtioUrl(name: string): { host: string; port: number; secret: Secret } | undefined {
    const raw = this.#raw(name);
    if (raw === undefined) return undefined;
    try {
      const url = new URL(raw);
      if (url.protocol === 'drachtio:' && url.hostname && url.password) {
        return {
          host: url.hostname.replace(/^\[|\]$/g, ''),
          port: Number(url.port) || 9022,
          secret: new Secret(decodeURIComponent(url.password)),
        };
      }
    } catch {
      // reported below
    }
    return this.#fail(name, '[redacted]', 'drachtio://:secret@host:port', undefined);
  }

  /** A problem that involves several variables. */
  problem(text: string): void {
    this.#problems.push(text);
  }

  /** Throws one ConfigError naming every problem found so far. */
  assertValid(): void {
    if (this.#problems.length > 0) throw new ConfigError(this.#problems);
  }
}

/** A URL as it may be printed: without its password. */
export function redactUrl(url: URL): string {
  if (!url.password) return url.href;
  const copy = new URL(url.href);
  copy.password = 'redacted';
  return copy.href;
}
