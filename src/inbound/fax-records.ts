// What the switch remembers about each received fax, apart from its content: who called which number,
// where its email goes (a copy of the DID's settings taken when the call was answered, so a later
// change of the number never redirects a fax already received), how the call ended, and how its
// delivery went. Indexed by time for `faxswitch inbound list`, and by expiry for retention.
// Content (pages, documents) lives only in the encrypted archive; these records hold none.
import type { Redis } from 'ioredis';
import type { AttachmentFormat, Retention } from '../dids/index.ts';
import type { MailReceipt, ReceiptSlot } from '../email/index.ts';

export type InboundFaxStatus =
  /** The call is up; pages are kept as they are confirmed. */
  | 'receiving'
  /** The call ended with pages; the email is being built or sent (or waits to retry). */
  | 'delivering'
  | 'delivered'
  /** The email could not be delivered (permanent refusal, or retries exhausted). */
  | 'undeliverable'
  /** The call ended without a single page: nothing to deliver. */
  | 'failed';

export interface InboundFaxRecord {
  readonly faxId: string;
  readonly did: string;
  readonly account: string;
  readonly caller: string;
  readonly recipients: readonly string[];
  readonly attachmentFormat: AttachmentFormat;
  readonly retention: Retention;
  /** ASCII-armoured OpenPGP public key: the email is encrypted to it, the archive keeps only that. */
  readonly pgpPublicKey?: string;
  /** Notified (metadata only) when the fax's delivery has its result. */
  readonly webhookUrl?: string;
  readonly answeredAt: number;
  /** The node that answered the call. */
  readonly node: string;
  readonly status: InboundFaxStatus;
  /** Set when the call has ended. */
  readonly reception?: {
    readonly outcome: 'complete' | 'partial' | 'failed';
    readonly pages: readonly string[];
    readonly remoteStationId: string;
    readonly durationMs: number;
    readonly bitRate: number;
    readonly ecm: boolean;
    readonly result: string;
    readonly endedAt: number;
  };
  /** Set when delivery has reached its result. */
  readonly delivery?: {
    readonly result: 'delivered' | 'failed';
    readonly reply: string | undefined;
    readonly at: number;
  };
  /** Content was deleted (retention, or delete-after-delivery). */
  readonly purgedAt?: number;
}

/** What people and other systems are told about a received fax: metadata, never content. */
export function faxSummary(record: InboundFaxRecord) {
  return {
    faxId: record.faxId,
    receivedAt: new Date(record.answeredAt).toISOString(),
    did: record.did,
    caller: record.caller,
    status: record.status,
    pages: record.reception?.pages.length ?? 0,
    outcome: record.reception?.outcome,
    remoteStationId: record.reception?.remoteStationId,
    durationMs: record.reception?.durationMs,
    result: record.reception?.result,
  };
}

export class FaxRecords {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, options: { namespace?: string } = {}) {
    this.#redis = redis;
    this.#prefix = `${options.namespace ?? 'faxswitch'}:inbound`;
  }

  #key(faxId: string): string {
    return `${this.#prefix}:fax:${faxId}`;
  }

  get #byTime(): string {
    return `${this.#prefix}:by-time`;
  }

  get #expiry(): string {
    return `${this.#prefix}:expiry`;
  }

  /** Stores the record of a newly answered call (WAIT-ed on by the caller's commit point). */
  async create(record: InboundFaxRecord): Promise<void> {
    await this.#redis
      .multi()
      .set(this.#key(record.faxId), JSON.stringify(record))
      .zadd(this.#byTime, record.answeredAt, record.faxId)
      .exec();
  }

  async get(faxId: string): Promise<InboundFaxRecord | undefined> {
    const stored = await this.#redis.get(this.#key(faxId));
    return stored === null ? undefined : (JSON.parse(stored) as InboundFaxRecord);
  }

  /** Applies `change` to the stored record, safe against concurrent updates. */
  async update(
    faxId: string,
    change: (record: InboundFaxRecord) => InboundFaxRecord,
  ): Promise<InboundFaxRecord | undefined> {
    const key = this.#key(faxId);
    for (;;) {
      await this.#redis.watch(key);
      const current = await this.get(faxId);
      if (!current) {
        await this.#redis.unwatch();
        return undefined;
      }
      const next = change(current);
      const committed = await this.#redis.multi().set(key, JSON.stringify(next)).exec();
      if (committed) return next;
    }
  }

  /** The newest records first, at most `limit`, answered before `before` (ms) when given. */
  async recent(limit: number, before?: number): Promise<InboundFaxRecord[]> {
    const ids = await this.#redis.zrevrangebyscore(
      this.#byTime,
      before === undefined ? '+inf' : `(${before}`,
      '-inf',
      'LIMIT',
      0,
      limit,
    );
    if (ids.length === 0) return [];
    const values = await this.#redis.mget(ids.map((id) => this.#key(id)));
    return values.flatMap((value) => (value === null ? [] : [JSON.parse(value) as InboundFaxRecord]));
  }

  /** Where the mail server's receipt for the fax's email is kept, apart, so no retry sends it again. */
  emailReceipt(faxId: string): ReceiptSlot {
    const key = this.#acceptedKey(faxId);
    return {
      find: async () => {
        const stored = await this.#redis.get(key);
        return stored === null ? undefined : (JSON.parse(stored) as MailReceipt);
      },
      record: async (receipt) => void (await this.#redis.set(key, JSON.stringify(receipt))),
    };
  }

  #acceptedKey(faxId: string): string {
    return `${this.#key(faxId)}:accepted`;
  }

  /** The fax's content is to be deleted at `at` (ms). */
  async expireAt(faxId: string, at: number): Promise<void> {
    await this.#redis.zadd(this.#expiry, at, faxId);
  }

  /** Faxes whose content is due for deletion at `now`, oldest first. */
  async dueForPurge(now: number, limit: number): Promise<string[]> {
    return this.#redis.zrangebyscore(this.#expiry, '-inf', String(now), 'LIMIT', 0, limit);
  }

  /** The fax's content is gone: record when, and take it off the expiry index. */
  async markPurged(faxId: string, at: number): Promise<void> {
    await this.update(faxId, (record) => ({ ...record, purgedAt: record.purgedAt ?? at }));
    await this.#redis.zrem(this.#expiry, faxId);
  }
}
