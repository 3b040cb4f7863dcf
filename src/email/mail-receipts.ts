// "Exactly one email": the moment a mail server accepts a message we send (a fax, a letter, a
// report), its receipt is written here under the message's own key; an attempt repeated after a
// takeover finds the receipt and does not send again. Kept apart from everything else so the write
// is one SET, as close to the server's 250 as it can be.
import type { Redis } from 'ioredis';

/** What the mail server said when it took a message. */
export interface MailReceipt {
  readonly messageId: string;
  readonly response: string;
  readonly at: number;
}

/** The receipt of one message: where `sendOnce` looks before sending and writes after. */
export interface ReceiptSlot {
  find(): Promise<MailReceipt | undefined>;
  record(receipt: MailReceipt): Promise<void>;
}

export class MailReceipts {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, options: { namespace?: string } = {}) {
    this.#redis = redis;
    this.#prefix = `${options.namespace ?? 'faxswitch'}:mail-receipt`;
  }

  async record(key: string, receipt: MailReceipt): Promise<void> {
    await this.#redis.set(`${this.#prefix}:${key}`, JSON.stringify(receipt));
  }

  async find(key: string): Promise<MailReceipt | undefined> {
    const stored = await this.#redis.get(`${this.#prefix}:${key}`);
    return stored === null ? undefined : (JSON.parse(stored) as MailReceipt);
  }

  /** The receipt of the message under `key`. */
  slot(key: string): ReceiptSlot {
    return { find: () => this.find(key), record: (receipt) => this.record(key, receipt) };
  }
}
