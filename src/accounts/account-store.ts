// Customer accounts for Email2Fax in Redis: the submission logins (an email address and its password
// hash — the address a client authenticates as is the only sender it may use), the senders accepted
// on the MX port without a login (addresses or whole domains, verified by SPF/DKIM/DMARC), the dial
// plan, and the anti-fraud limits with their usage counters.
import type { Redis } from 'ioredis';
import { RetryableError, TerminalError } from '../../cluster/index.ts';
import type { DialPlan } from './dial-plan.ts';
import { hashPassword, verifyPassword } from './password.ts';

export interface UsageLimits {
  readonly faxesPerHour: number;
  readonly pagesPerDay: number;
}

export interface Account {
  readonly id: string;
  readonly name: string;
  readonly active: boolean;
  readonly dialPlan: DialPlan;
  readonly limits: UsageLimits;
  /** Senders accepted on the MX port: `user@example.com` or `@example.com` for a whole domain. */
  readonly allowedSenders: readonly string[];
  /** When set, MX senders must put this PIN in the subject (`[PIN 1234]`). */
  readonly pin?: string;
  /** The calling number and station id (TSI) the far end sees; the node's default when absent. */
  readonly callerId?: string;
  /** Lead every fax with a cover page (from, to, subject, pages, date). */
  readonly coverPage?: boolean;
}

/** A submission login as operators see it (never the hash). */
export interface LoginSummary {
  readonly address: string;
  readonly accountId: string;
}

export class AccountNotFoundError extends TerminalError {}

export class UsageLimitError extends RetryableError {}

const ACCOUNT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
// A hash of a password nobody has, verified when a login does not exist so that unknown and known
// addresses take the same time to refuse.
const DECOY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export class AccountStore {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, options: { namespace?: string } = {}) {
    this.#redis = redis;
    this.#prefix = options.namespace ?? 'faxswitch';
  }

  #accountKey(id: string): string {
    return `${this.#prefix}:account:${id}`;
  }
  #loginKey(address: string): string {
    return `${this.#prefix}:login:${address.toLowerCase()}`;
  }
  #senderKey(addressOrDomain: string): string {
    return `${this.#prefix}:mx-sender:${addressOrDomain.toLowerCase()}`;
  }
  get #accountIndex(): string {
    return `${this.#prefix}:accounts`;
  }
  #accountLoginsKey(id: string): string {
    return `${this.#prefix}:account:${id}:logins`;
  }

  /** Creates or replaces an account's settings (logins are managed separately). */
  async save(account: Account): Promise<void> {
    if (!ACCOUNT_ID.test(account.id)) throw new TerminalError(`'${account.id}' is not a valid account id`);
    const previous = await this.get(account.id);
    const pipeline = this.#redis
      .multi()
      .set(this.#accountKey(account.id), JSON.stringify(account))
      .sadd(this.#accountIndex, account.id);
    for (const sender of previous?.allowedSenders ?? []) pipeline.del(this.#senderKey(sender));
    for (const sender of account.allowedSenders) pipeline.set(this.#senderKey(sender), account.id);
    await pipeline.exec();
  }

  async get(id: string): Promise<Account | undefined> {
    const stored = await this.#redis.get(this.#accountKey(id));
    return stored === null ? undefined : (JSON.parse(stored) as Account);
  }

  /** Every account, by id. */
  async list(): Promise<Account[]> {
    const ids = (await this.#redis.smembers(this.#accountIndex)).sort();
    if (ids.length === 0) return [];
    const values = await this.#redis.mget(ids.map((id) => this.#accountKey(id)));
    return values.flatMap((value) => (value === null ? [] : [JSON.parse(value) as Account]));
  }

  async setLogin(accountId: string, address: string, password: string): Promise<void> {
    if (!(await this.get(accountId))) throw new AccountNotFoundError(`no account '${accountId}'`);
    const passwordHash = await hashPassword(password);
    const previous = await this.#loginOf(address);
    const multi = this.#redis.multi();
    if (previous && previous.accountId !== accountId)
      multi.srem(this.#accountLoginsKey(previous.accountId), address.toLowerCase());
    await multi
      .set(this.#loginKey(address), JSON.stringify({ accountId, passwordHash }))
      .sadd(this.#accountLoginsKey(accountId), address.toLowerCase())
      .exec();
  }

  async removeLogin(address: string): Promise<void> {
    const login = await this.#loginOf(address);
    const multi = this.#redis.multi().del(this.#loginKey(address));
    if (login) multi.srem(this.#accountLoginsKey(login.accountId), address.toLowerCase());
    await multi.exec();
  }

  /** The submission logins of an account. */
  async logins(accountId: string): Promise<LoginSummary[]> {
    const addresses = (await this.#redis.smembers(this.#accountLoginsKey(accountId))).sort();
    return addresses.map((address) => ({ address, accountId }));
  }

  async #loginOf(address: string): Promise<{ accountId: string; passwordHash: string } | undefined> {
    const stored = await this.#redis.get(this.#loginKey(address));
    return stored === null ? undefined : (JSON.parse(stored) as { accountId: string; passwordHash: string });
  }

  /** The active account that `address` logs in to with `password`, or undefined. */
  async authenticate(address: string, password: string): Promise<Account | undefined> {
    const login = await this.#loginOf(address);
    const valid = await verifyPassword(password, login?.passwordHash ?? DECOY_HASH);
    if (!login || !valid) return undefined;
    const account = await this.get(login.accountId);
    return account?.active ? account : undefined;
  }

  /** The active account that accepts mail from `address` on the MX port: the address itself, then its domain. */
  async accountForSender(address: string): Promise<Account | undefined> {
    const domain = address.slice(address.lastIndexOf('@'));
    const [byAddress, byDomain] = await this.#redis.mget(this.#senderKey(address), this.#senderKey(domain));
    const accountId = byAddress ?? byDomain;
    if (!accountId) return undefined;
    const account = await this.get(accountId);
    return account?.active ? account : undefined;
  }

  /**
   * Reserves `faxes` and `pages` against the account's hourly and daily limits, all or nothing.
   * Windows are fixed (the clock hour and UTC day), which is what people expect from "per hour".
   */
  async reserveUsage(
    account: Account,
    usage: { faxes: number; pages: number },
    nowMs: number,
  ): Promise<void> {
    const { faxesKey, pagesKey } = this.#usageKeys(account, nowMs);
    const result = await this.#redis
      .multi()
      .incrby(faxesKey, usage.faxes)
      .expire(faxesKey, 7_200)
      .incrby(pagesKey, usage.pages)
      .expire(pagesKey, 172_800)
      .exec();
    const faxes = Number(result?.[0]?.[1]);
    const pages = Number(result?.[2]?.[1]);
    if (faxes > account.limits.faxesPerHour || pages > account.limits.pagesPerDay) {
      await this.releaseUsage(account, usage, nowMs);
      const hourly = faxes > account.limits.faxesPerHour;
      const which = hourly
        ? `${account.limits.faxesPerHour} faxes per hour`
        : `${account.limits.pagesPerDay} pages per day`;
      // The limit is lifted when its window turns: the next clock hour, or the next UTC day.
      const window = hourly ? 3_600_000 : 86_400_000;
      throw new UsageLimitError(`account ${account.id} has reached its limit of ${which}`, {
        wire: { smtp: { code: 450, enhanced: '4.7.1' }, http: 429 },
        retryAfterMs: window - (nowMs % window),
      });
    }
  }

  /** What the account has used of its limits in the current hour and UTC day. */
  async usage(account: Account, nowMs: number): Promise<{ faxesThisHour: number; pagesToday: number }> {
    const { faxesKey, pagesKey } = this.#usageKeys(account, nowMs);
    const [faxes, pages] = await this.#redis.mget(faxesKey, pagesKey);
    return { faxesThisHour: Number(faxes ?? 0), pagesToday: Number(pages ?? 0) };
  }

  /** Gives back a reservation whose jobs were not accepted after all. */
  async releaseUsage(
    account: Account,
    usage: { faxes: number; pages: number },
    reservedAtMs: number,
  ): Promise<void> {
    const { faxesKey, pagesKey } = this.#usageKeys(account, reservedAtMs);
    await this.#redis.multi().decrby(faxesKey, usage.faxes).decrby(pagesKey, usage.pages).exec();
  }

  #usageKeys(account: Account, nowMs: number): { faxesKey: string; pagesKey: string } {
    const hour = Math.floor(nowMs / 3_600_000);
    const day = Math.floor(nowMs / 86_400_000);
    return {
      faxesKey: `${this.#prefix}:usage:${account.id}:faxes:${hour}`,
      pagesKey: `${this.#prefix}:usage:${account.id}:pages:${day}`,
    };
  }
}
