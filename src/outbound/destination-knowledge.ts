// What the cluster has learnt about each destination number: whether T.38 worked or the far end
// needs audio, and which speed and ECM setting last completed a fax. Shared by all nodes through
// Redis and forgotten after `ttlMs`, because fax machines get replaced and carriers change routes.
import type { Redis } from 'ioredis';

export interface DestinationSettings {
  readonly transport: 't38' | 'audio';
  readonly ecm: boolean;
  readonly maxBitRate: number;
}

export class DestinationKnowledge {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ttlMs: number;

  constructor(redis: Redis, options: { namespace?: string; ttlMs?: number } = {}) {
    this.#redis = redis;
    this.#prefix = `${options.namespace ?? 'faxswitch'}:destination`;
    this.#ttlMs = options.ttlMs ?? 30 * 24 * 3_600_000;
  }

  #key(destination: string): string {
    return `${this.#prefix}:${destination}`;
  }

  /** The settings that last worked, or undefined when nothing is known (or it was forgotten). */
  async settingsFor(destination: string): Promise<DestinationSettings | undefined> {
    const stored = await this.#redis.get(this.#key(destination));
    return stored === null ? undefined : (JSON.parse(stored) as DestinationSettings);
  }

  /** A fax completed with these settings: use them first next time. */
  async recordSuccess(destination: string, settings: DestinationSettings): Promise<void> {
    await this.#redis.set(this.#key(destination), JSON.stringify(settings), 'PX', this.#ttlMs);
  }

  /** The far end refused T.38 (488): start on audio next time, keeping what else was learnt. */
  async recordT38Refused(destination: string): Promise<void> {
    const known = await this.settingsFor(destination);
    await this.recordSuccess(destination, { ecm: true, maxBitRate: 14_400, ...known, transport: 'audio' });
  }
}
