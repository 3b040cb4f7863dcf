// A campaign's state in Redis apart from its actors: its settings, the accepted recipients (a hash
// by position, read a window at a time), one outcome per row of the list (first write wins, so a
// repeated effect never counts twice), the counts people see, and the opt-out lists per account.
// The template and the list itself are content: they live sealed in the archive.
import type { Redis } from 'ioredis';
import type { LetterChannel } from '../../actors/index.ts';

export type EmailMode = 'body' | 'attachment';

export interface CampaignSettings {
  readonly campaignId: string;
  readonly name: string;
  readonly accountId: string;
  /** Who submitted it: gets the report. */
  readonly owner: string;
  readonly createdAt: number;
  /** Archive object of the template and its file name. */
  readonly template: { readonly objectId: string; readonly name: string };
  /** Archive objects holding the recipients CSV, in order. */
  readonly listObjects: readonly string[];
  /** The list's columns: the fields the template may use. */
  readonly columns: readonly string[];
  /** Subject of the emails (a `{{field}}` template). */
  readonly subject: string;
  /** `body`: the letter is the email, with a PDF copy; `attachment`: a short note and the PDF. */
  readonly emailMode: EmailMode;
  readonly fallback: boolean;
  /** Recipients in flight at once. */
  readonly window: number;
}

/** A row of the list that became a recipient. */
export interface RecipientRow {
  readonly line: number;
  readonly email: string | undefined;
  readonly fax: string | undefined;
  /** Every column of the row, for the template. */
  readonly fields: Readonly<Record<string, string>>;
}

export type RowResult = 'delivered' | 'failed' | 'invalid' | 'duplicate' | 'opted-out' | 'cancelled';

export interface RowOutcome {
  readonly line: number;
  readonly result: RowResult;
  readonly channel: LetterChannel | '';
  readonly email: string;
  readonly fax: string;
  readonly detail: string;
}

export type CampaignCounts = Readonly<Record<string, number>>;

export interface IntakeRecord {
  readonly rows: number;
  readonly accepted: number;
  readonly lastLine: number;
}

// First write wins, atomically with its counts, so a crash never leaves an outcome uncounted.
// KEYS: outcomes hash, counts hash. ARGV: repeated (line, outcome JSON, count field, finished 0|1).
const RECORD_OUTCOMES = `
local added = 0
for i = 1, #ARGV, 4 do
  if redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then
    redis.call('HINCRBY', KEYS[2], ARGV[i + 2], 1)
    if ARGV[i + 3] == '1' then redis.call('HINCRBY', KEYS[2], 'finished', 1) end
    added = added + 1
  end
end
return added`;

type OutcomeRedis = Redis & {
  recordOutcomes(outcomesKey: string, countsKey: string, ...args: string[]): Promise<number>;
};

export class CampaignStore {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, options: { namespace?: string } = {}) {
    this.#redis = redis;
    this.#prefix = `${options.namespace ?? 'faxswitch'}:campaign`;
    if (!('recordOutcomes' in redis))
      redis.defineCommand('recordOutcomes', { numberOfKeys: 2, lua: RECORD_OUTCOMES });
  }

  async #record(campaignId: string, outcomes: readonly RowOutcome[], finished: boolean): Promise<number> {
    if (outcomes.length === 0) return 0;
    const args = outcomes.flatMap((outcome) => [
      String(outcome.line),
      JSON.stringify(outcome),
      countField(outcome),
      finished ? '1' : '0',
    ]);
    return (this.#redis as OutcomeRedis).recordOutcomes(
      this.#key(campaignId, 'outcomes'),
      this.#key(campaignId, 'counts'),
      ...args,
    );
  }

  #key(campaignId: string, part: string): string {
    return `${this.#prefix}:{${campaignId}}:${part}`;
  }

  async create(settings: CampaignSettings): Promise<void> {
    await this.#redis
      .multi()
      .set(this.#key(settings.campaignId, 'settings'), JSON.stringify(settings))
      .zadd(`${this.#prefix}s`, settings.createdAt, settings.campaignId)
      .exec();
  }

  async settings(campaignId: string): Promise<CampaignSettings | undefined> {
    const stored = await this.#redis.get(this.#key(campaignId, 'settings'));
    return stored === null ? undefined : (JSON.parse(stored) as CampaignSettings);
  }

  /** What intake found, kept for the report (the last line tells how far to read outcomes). */
  async setIntake(campaignId: string, intake: IntakeRecord): Promise<void> {
    await this.#redis.set(this.#key(campaignId, 'intake'), JSON.stringify(intake));
  }

  async intake(campaignId: string): Promise<IntakeRecord | undefined> {
    const stored = await this.#redis.get(this.#key(campaignId, 'intake'));
    return stored === null ? undefined : (JSON.parse(stored) as IntakeRecord);
  }

  async recipientCount(campaignId: string): Promise<number> {
    return this.#redis.hlen(this.#key(campaignId, 'recipients'));
  }

  async recent(limit: number): Promise<CampaignSettings[]> {
    const ids = await this.#redis.zrevrange(`${this.#prefix}s`, 0, limit - 1);
    if (ids.length === 0) return [];
    const values = await this.#redis.mget(ids.map((id) => this.#key(id, 'settings')));
    return values.flatMap((value) => (value === null ? [] : [JSON.parse(value) as CampaignSettings]));
  }

  /** Forgets what an interrupted intake wrote, so taking the list in again starts clean. */
  async resetIntake(campaignId: string): Promise<void> {
    await this.#redis.del(
      this.#key(campaignId, 'recipients'),
      this.#key(campaignId, 'outcomes'),
      this.#key(campaignId, 'counts'),
      this.#key(campaignId, 'seen'),
      this.#key(campaignId, 'intake'),
    );
  }

  /** Records recipients (by position from `first`) and refused rows of one batch of the list. */
  async addIntakeBatch(
    campaignId: string,
    first: number,
    recipients: readonly RecipientRow[],
    refused: readonly RowOutcome[],
  ): Promise<void> {
    if (recipients.length > 0) {
      await this.#redis.hset(
        this.#key(campaignId, 'recipients'),
        Object.fromEntries(recipients.map((row, index) => [String(first + index), JSON.stringify(row)])),
      );
    }
    await this.#record(campaignId, refused, false);
  }

  /** Whether a destination (email or fax number) is seen for the first time in this campaign. */
  async firstSighting(campaignId: string, destinations: readonly string[]): Promise<boolean[]> {
    if (destinations.length === 0) return [];
    const multi = this.#redis.multi();
    for (const destination of destinations) multi.sadd(this.#key(campaignId, 'seen'), destination);
    const results = await multi.exec();
    return (results ?? []).map(([, added]) => added === 1);
  }

  async recipients(campaignId: string, from: number, count: number): Promise<RecipientRow[]> {
    if (count <= 0) return [];
    const positions = Array.from({ length: count }, (_, i) => String(from + i));
    const values = await this.#redis.hmget(this.#key(campaignId, 'recipients'), ...positions);
    return values.flatMap((value) => (value === null ? [] : [JSON.parse(value) as RecipientRow]));
  }

  async recipient(campaignId: string, position: number): Promise<RecipientRow | undefined> {
    const value = await this.#redis.hget(this.#key(campaignId, 'recipients'), String(position));
    return value === null ? undefined : (JSON.parse(value) as RecipientRow);
  }

  /** The outcome of a dispatched recipient, recorded once; counted towards `finished` the first time. */
  async recordOutcome(campaignId: string, outcome: RowOutcome): Promise<boolean> {
    return (await this.#record(campaignId, [outcome], true)) === 1;
  }

  /** Rows never handed out (a cancelled campaign), recorded as cancelled unless they have an outcome. */
  async recordCancelled(campaignId: string, rows: readonly RecipientRow[]): Promise<void> {
    await this.#record(
      campaignId,
      rows.map((row) => ({
        line: row.line,
        result: 'cancelled',
        channel: '',
        email: row.email ?? '',
        fax: row.fax ?? '',
        detail: 'the campaign was cancelled before this letter was sent',
      })),
      false,
    );
  }

  async counts(campaignId: string): Promise<CampaignCounts> {
    const raw = await this.#redis.hgetall(this.#key(campaignId, 'counts'));
    return Object.fromEntries(Object.entries(raw).map(([name, value]) => [name, Number(value)]));
  }

  /** Outcomes of lines `from`..`to` (inclusive) that have one, in line order. */
  async outcomes(campaignId: string, from: number, to: number): Promise<RowOutcome[]> {
    if (to < from) return [];
    const lines = Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
    const values = await this.#redis.hmget(this.#key(campaignId, 'outcomes'), ...lines);
    return values.flatMap((value) => (value === null ? [] : [JSON.parse(value) as RowOutcome]));
  }

  /** Whether the account's opt-out list holds any of these destinations. */
  async optedOut(accountId: string, destinations: readonly string[]): Promise<boolean[]> {
    if (destinations.length === 0) return [];
    const flags = await this.#redis.smismember(this.#optOutKey(accountId), ...destinations);
    return flags.map((flag) => flag === 1);
  }

  async addOptOuts(accountId: string, destinations: readonly string[]): Promise<number> {
    return destinations.length === 0 ? 0 : this.#redis.sadd(this.#optOutKey(accountId), ...destinations);
  }

  async removeOptOuts(accountId: string, destinations: readonly string[]): Promise<number> {
    return destinations.length === 0 ? 0 : this.#redis.srem(this.#optOutKey(accountId), ...destinations);
  }

  async listOptOuts(accountId: string): Promise<string[]> {
    return (await this.#redis.smembers(this.#optOutKey(accountId))).sort();
  }

  #optOutKey(accountId: string): string {
    return `${this.#prefix}-optout:${accountId}`;
  }
}

/** `delivered_email`, `failed_fax`, `invalid`, …: what `campaign show` counts. */
function countField(outcome: RowOutcome): string {
  return outcome.channel ? `${outcome.result}_${outcome.channel}` : outcome.result;
}
