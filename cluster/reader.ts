// Reading actors without hosting them: their persisted state and their step log (the audit trail the
// fenced commits append), for operators' commands and status pages on any node or none.
import type { Redis } from 'ioredis';
import { createKeys, type ClusterKeys } from './keys.ts';
import type { ActorStatus, StoredActor } from './store.ts';
import { ActorStore } from './store.ts';

/** The persisted state of an actor as any node reads it. */
export interface ActorView {
  readonly actorId: string;
  readonly machine: string;
  readonly version: number;
  readonly seq: number;
  /** The fencing epoch of the actor's latest owner: outside resources refuse work of older epochs. */
  readonly epoch: number;
  readonly status: ActorStatus;
  readonly owner: string | undefined;
  readonly value: unknown;
  readonly context: unknown;
  readonly pendingEffects: readonly string[];
}

/** One persisted step: the event that caused it, when (Redis stream time) and under which epoch. */
export interface ActorStep {
  readonly seq: number;
  readonly epoch: number;
  readonly at: number;
  readonly event: { readonly type: string; readonly [field: string]: unknown };
}

export function toView(stored: StoredActor): ActorView {
  const snapshot = stored.snapshot as { value?: unknown; context?: unknown };
  return {
    actorId: stored.actorId,
    machine: stored.machine,
    version: stored.version,
    seq: stored.seq,
    epoch: stored.epoch,
    status: stored.status,
    owner: stored.owner,
    value: snapshot.value,
    context: snapshot.context,
    pendingEffects: stored.pending.map((intent) => intent.key),
  };
}

export class ActorReader {
  readonly #redis: Redis;
  readonly #keys: ClusterKeys;
  readonly #store: ActorStore;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#keys = createKeys(prefix);
    // Reads use no scripts and no lease: the TTL is never used here.
    this.#store = new ActorStore(redis, this.#keys, { leaseTtlMs: 1 });
  }

  async read(actorId: string): Promise<ActorView | undefined> {
    const stored = await this.#store.read(actorId);
    return stored && toView(stored);
  }

  /** The last `limit` steps, oldest first (the log is trimmed to about 1,000 steps per actor). */
  async history(actorId: string, limit = 200): Promise<ActorStep[]> {
    const entries = await this.#redis.xrevrange(this.#keys.actorLog(actorId), '+', '-', 'COUNT', limit);
    return entries.reverse().map(([id, fields]) => {
      const field = (name: string): string => fields[fields.indexOf(name) + 1] ?? '';
      return {
        seq: Number(field('seq')),
        epoch: Number(field('epoch')),
        at: Number(id.split('-')[0]),
        event: JSON.parse(field('event')) as ActorStep['event'],
      };
    });
  }
}
