// The DID registry in Redis: one JSON value per number (a single GET answers call set-up) and a
// lexicographic index for listing and export. Bulk import streams CSV in pipelined batches and
// reports each refused row by line instead of stopping; export streams page by page.
import type { Redis } from 'ioredis';
import { TerminalError } from '../../cluster/index.ts';
import { formatCsvRecord, parseCsv, type CsvRecord } from '../csv/index.ts';
import { checkPublicKey } from '../email/index.ts';
import {
  formatRetention,
  InvalidDidError,
  normalizeNumber,
  validateDid,
  type DidInput,
  type DidRecord,
} from './did-record.ts';

export class DidExistsError extends TerminalError {
  constructor(number: string) {
    super(`${number} is already registered; use update`, { wire: { http: 409 } });
  }
}

export class DidNotFoundError extends TerminalError {
  constructor(number: string) {
    super(`${number} is not registered`, { wire: { http: 404 } });
  }
}

/** The columns of the import/export format, in order; recipients are separated by ';'. */
export const DID_CSV_COLUMNS = [
  'number',
  'active',
  'account',
  'recipients',
  'format',
  'station_id',
  'retention',
  'webhook',
  'pgp_key',
] as const;

const STORED_VERSION = 1;
const BATCH = 1_000;
const MAX_REPORTED_REJECTIONS = 1_000;

export interface ImportResult {
  readonly imported: number;
  readonly rejected: number;
  /** The first rejections, with the line of each, so a person can fix the file. */
  readonly rejections: readonly { readonly line: number; readonly error: string }[];
}

export interface ListOptions {
  /** Continue after this number (the last one of the previous page). */
  readonly after?: string;
  readonly limit?: number;
  readonly account?: string;
}

export class DidRegistry {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, options: { namespace?: string } = {}) {
    this.#redis = redis;
    this.#prefix = `${options.namespace ?? 'faxswitch'}:did`;
  }

  #key(number: string): string {
    return `${this.#prefix}:${number}`;
  }

  get #index(): string {
    return `${this.#prefix}s`;
  }

  async add(input: DidInput): Promise<DidRecord> {
    const record = await validateDidWithKey(input);
    const created = await this.#redis
      .multi()
      .set(this.#key(record.number), serialize(record), 'NX')
      .zadd(this.#index, 0, record.number)
      .exec();
    if (created?.[0]?.[1] !== 'OK') throw new DidExistsError(record.number);
    return record;
  }

  /** Changes some fields; the result is validated as a whole. Safe against concurrent updates. */
  async update(number: string, changes: Partial<Omit<DidInput, 'number'>>): Promise<DidRecord> {
    const normalized = normalizeNumber(number);
    const key = this.#key(normalized);
    for (;;) {
      await this.#redis.watch(key);
      const current = await this.lookup(normalized);
      if (!current) {
        await this.#redis.unwatch();
        throw new DidNotFoundError(normalized);
      }
      const record = await validateDidWithKey({ ...toInput(current), ...changes, number: normalized });
      const committed = await this.#redis.multi().set(key, serialize(record), 'XX').exec();
      if (committed) return record; // null: someone changed it meanwhile; read again
    }
  }

  async remove(number: string): Promise<void> {
    const normalized = normalizeNumber(number);
    const result = await this.#redis.multi().del(this.#key(normalized)).zrem(this.#index, normalized).exec();
    if (result?.[0]?.[1] !== 1) throw new DidNotFoundError(normalized);
  }

  /** The record of a dialled number, active or not; undefined when unknown. */
  async lookup(number: string): Promise<DidRecord | undefined> {
    const stored = await this.#redis.get(this.#key(normalizeNumber(number)));
    return stored === null ? undefined : deserialize(stored);
  }

  async list(options: ListOptions = {}): Promise<DidRecord[]> {
    const limit = options.limit ?? 100;
    const records: DidRecord[] = [];
    let after = options.after ? normalizeNumber(options.after) : undefined;
    while (records.length < limit) {
      const page = await this.#page(after, Math.max(limit - records.length, 100));
      if (page.length === 0) break;
      for (const record of page) {
        if (!options.account || record.account === options.account) records.push(record);
        if (records.length === limit) break;
      }
      after = page[page.length - 1]?.number;
    }
    return records;
  }

  async #page(after: string | undefined, count: number): Promise<DidRecord[]> {
    const numbers = await this.#redis.zrangebylex(
      this.#index,
      after ? `(${after}` : '-',
      '+',
      'LIMIT',
      0,
      count,
    );
    if (numbers.length === 0) return [];
    const values = await this.#redis.mget(numbers.map((n) => this.#key(n)));
    return values.flatMap((value) => (value === null ? [] : [deserialize(value)]));
  }

  async count(): Promise<number> {
    return this.#redis.zcard(this.#index);
  }

  /** Imports (creates or replaces) numbers from CSV with the DID_CSV_COLUMNS header. */
  async importCsv(chunks: AsyncIterable<string | Buffer>): Promise<ImportResult> {
    let imported = 0;
    let rejected = 0;
    const rejections: { line: number; error: string }[] = [];
    const reject = (line: number, error: string): void => {
      rejected++;
      if (rejections.length < MAX_REPORTED_REJECTIONS) rejections.push({ line, error });
    };
    let columns: Map<string, number> | undefined;
    let batch: DidRecord[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const pipeline = this.#redis.pipeline();
      for (const record of batch) pipeline.set(this.#key(record.number), serialize(record));
      pipeline.zadd(this.#index, ...batch.flatMap((record) => [0, record.number]));
      const results = await pipeline.exec();
      const failed = results?.find(([error]) => error);
      if (failed?.[0]) throw failed[0];
      imported += batch.length;
      batch = [];
    };
    for await (const record of parseCsv(chunks)) {
      if (!columns) {
        columns = headerColumns(record);
        continue;
      }
      try {
        batch.push(await validateDidWithKey(rowToInput(record, columns)));
      } catch (error) {
        if (!(error instanceof InvalidDidError)) throw error;
        reject(record.line, error.message);
      }
      if (batch.length >= BATCH) await flush();
    }
    await flush();
    return { imported, rejected, rejections };
  }

  /** Writes every number as CSV, page by page, through `write` (which may apply back-pressure). */
  async exportCsv(write: (text: string) => Promise<void> | void): Promise<number> {
    await write(formatCsvRecord(DID_CSV_COLUMNS));
    let exported = 0;
    let after: string | undefined;
    for (;;) {
      const page = await this.#page(after, BATCH);
      if (page.length === 0) return exported;
      await write(page.map((record) => formatCsvRecord(recordToRow(record))).join(''));
      exported += page.length;
      after = page[page.length - 1]?.number;
    }
  }
}

/** validateDid, plus a check that an OpenPGP key is one we can encrypt to. */
async function validateDidWithKey(input: DidInput): Promise<DidRecord> {
  const record = validateDid(input);
  if (record.pgpPublicKey !== undefined) {
    try {
      await checkPublicKey(record.pgpPublicKey);
    } catch (error) {
      throw new InvalidDidError(record.number, [(error as Error).message]);
    }
  }
  return record;
}

function serialize(record: DidRecord): string {
  return JSON.stringify({ v: STORED_VERSION, ...record });
}

function deserialize(stored: string): DidRecord {
  const { v: _version, ...record } = JSON.parse(stored) as DidRecord & { v: number };
  return record;
}

function toInput(record: DidRecord): DidInput {
  return { ...record, retention: formatRetention(record.retention) };
}

function headerColumns(record: CsvRecord): Map<string, number> {
  const columns = new Map(record.fields.map((name, index) => [name.trim().toLowerCase(), index]));
  const missing = ['number', 'account', 'recipients'].filter((name) => !columns.has(name));
  if (missing.length > 0) {
    throw new InvalidDidError('header', [
      `line ${record.line}: the header lacks ${missing.join(', ')}; expected columns: ${DID_CSV_COLUMNS.join(',')}`,
    ]);
  }
  return columns;
}

function rowToInput(record: CsvRecord, columns: Map<string, number>): DidInput {
  const field = (name: string): string | undefined => {
    const index = columns.get(name);
    const value = index === undefined ? undefined : record.fields[index]?.trim();
    return value === '' ? undefined : value;
  };
  const active = field('active')?.toLowerCase();
  if (active !== undefined && !['true', 'false', 'yes', 'no', '1', '0'].includes(active)) {
    throw new InvalidDidError(field('number') ?? '', [`active '${active}' must be true or false`]);
  }
  return {
    number: field('number') ?? '',
    active: active === undefined || ['true', 'yes', '1'].includes(active),
    account: field('account') ?? '',
    recipients: (field('recipients') ?? '').split(/[;\s]+/).filter(Boolean),
    ...optional('attachmentFormat', field('format')),
    ...optional('stationId', field('station_id')),
    ...optional('retention', field('retention')),
    ...optional('webhookUrl', field('webhook')),
    ...optional('pgpPublicKey', field('pgp_key')),
  };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

function recordToRow(record: DidRecord): string[] {
  return [
    record.number,
    String(record.active),
    record.account,
    record.recipients.join(';'),
    record.attachmentFormat,
    record.stationId,
    formatRetention(record.retention),
    record.webhookUrl ?? '',
    record.pgpPublicKey ?? '',
  ];
}
