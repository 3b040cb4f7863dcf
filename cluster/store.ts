// The actor store: claims, fenced commits, lease renewal and release, and reads, each one Lua call
// on the actor's own slot. It holds no state of its own; the host decides when to call what.
import type { Redis } from 'ioredis';
import type { ClusterKeys } from './keys.ts';
import { errorForCode, isScriptCode } from './script-codes.ts';
import { ScriptRunner, type ScriptVerb } from './scripts.ts';

export type ActorStatus = 'active' | 'done';

/** One effect a persisted step asked for; `key` is `<actor>:<seq>:<n>` and never changes. */
export interface EffectIntent {
  readonly key: string;
  readonly name: string;
  readonly params: unknown;
}

export interface StoredActor {
  readonly actorId: string;
  readonly machine: string;
  readonly version: number;
  readonly snapshot: unknown;
  readonly seq: number;
  readonly epoch: number;
  readonly owner: string | undefined;
  readonly pending: readonly EffectIntent[];
  readonly status: ActorStatus;
}

export interface Claim {
  readonly epoch: number;
  readonly created: boolean;
  readonly actor: StoredActor;
}

export interface NewActor {
  readonly machine: string;
  readonly version: number;
  readonly snapshot: unknown;
  readonly pending: readonly EffectIntent[];
  readonly status: ActorStatus;
  readonly event: unknown;
}

export interface Step {
  readonly owner: string;
  readonly epoch: number;
  readonly seq: number;
  readonly snapshot: unknown;
  readonly pending: readonly EffectIntent[];
  readonly status: ActorStatus;
  readonly event: unknown;
}

export interface ActorStoreOptions {
  readonly leaseTtlMs: number;
  /** Approximate length each actor's audit stream is trimmed to. */
  readonly logMaxLength?: number;
}

export function leaseValue(owner: string, epoch: number): string {
  return `${owner}|${epoch}`;
}

export class ActorStore {
  readonly #redis: Redis;
  readonly #keys: ClusterKeys;
  readonly #scripts: ScriptRunner;
  readonly #leaseTtlMs: number;
  readonly #logMaxLength: number;

  constructor(redis: Redis, keys: ClusterKeys, options: ActorStoreOptions) {
    this.#redis = redis;
    this.#keys = keys;
    this.#scripts = new ScriptRunner(redis);
    this.#leaseTtlMs = options.leaseTtlMs;
    this.#logMaxLength = options.logMaxLength ?? 1_000;
  }

  get keys(): ClusterKeys {
    return this.#keys;
  }

  get scripts(): ScriptRunner {
    return this.#scripts;
  }

  /**
   * Takes the lease with a fresh epoch. `create` makes the actor when it does not exist; `deadOwner`
   * lets the caller break a lease held by an owner the membership has declared dead.
   */
  async claim(
    actorId: string,
    owner: string,
    options: { create?: NewActor; deadOwner?: string } = {},
  ): Promise<Claim> {
    const k = this.#keys;
    const create = options.create;
    const reply = await this.#call(
      'claimActor',
      actorId,
      [k.actorState(actorId), k.actorLease(actorId), k.actorLog(actorId), k.actorEpoch(actorId)],
      [
        owner,
        this.#leaseTtlMs,
        options.deadOwner ?? '',
        create?.machine ?? '',
        create?.version ?? 0,
        create ? JSON.stringify(create.snapshot) : '',
        JSON.stringify(create?.pending ?? []),
        create?.status ?? 'active',
        JSON.stringify(create?.event ?? null),
        this.#logMaxLength,
      ],
    );
    const [epoch, created, seq, machine, version, snapshot, pending, status] = reply as [
      number,
      number,
      number,
      string,
      string,
      string,
      string,
      string,
    ];
    return {
      epoch: Number(epoch),
      created: Number(created) === 1,
      actor: parseActor(actorId, { seq, machine, version, snapshot, pending, status, epoch, owner }),
    };
  }

  /** The fenced write of one macrostep. Throws LeaseLost/StaleEpoch/SequenceConflict when fenced off. */
  async commit(actorId: string, step: Step): Promise<void> {
    const k = this.#keys;
    await this.#call(
      'commitStep',
      actorId,
      [k.actorState(actorId), k.actorLease(actorId), k.actorLog(actorId)],
      [
        step.owner,
        step.epoch,
        step.seq,
        JSON.stringify(step.snapshot),
        JSON.stringify(step.pending),
        step.status,
        JSON.stringify(step.event),
        this.#leaseTtlMs,
        this.#logMaxLength,
      ],
    );
  }

  /** Renews many leases in one round trip; returns the actor ids whose lease was lost. */
  async renew(leases: ReadonlyArray<{ actorId: string; owner: string; epoch: number }>): Promise<string[]> {
    if (leases.length === 0) return [];
    await this.#scripts.load();
    const pipeline = this.#redis.pipeline();
    for (const lease of leases) {
      this.#scripts.queue(
        pipeline,
        'renewLease',
        [this.#keys.actorLease(lease.actorId)],
        [leaseValue(lease.owner, lease.epoch), this.#leaseTtlMs],
      );
    }
    const results = (await pipeline.exec()) ?? [];
    const lost: string[] = [];
    results.forEach(([error, reply], index) => {
      if (error) throw error;
      const lease = leases[index];
      if (lease && reply !== 1) lost.push(lease.actorId);
    });
    return lost;
  }

  async release(actorId: string, owner: string, epoch: number): Promise<boolean> {
    try {
      await this.#call('releaseLease', actorId, [this.#keys.actorLease(actorId)], [leaseValue(owner, epoch)]);
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'LeaseLostError') return false;
      throw error;
    }
  }

  /** The owner currently holding the lease, if any. */
  async leaseHolder(actorId: string): Promise<string | undefined> {
    const lease = await this.#redis.get(this.#keys.actorLease(actorId));
    return lease ? lease.slice(0, lease.lastIndexOf('|')) : undefined;
  }

  async read(actorId: string): Promise<StoredActor | undefined> {
    const [seq, machine, version, snapshot, pending, status, epoch, owner] = await this.#redis.hmget(
      this.#keys.actorState(actorId),
      'seq',
      'machine',
      'version',
      'snapshot',
      'pending',
      'status',
      'epoch',
      'owner',
    );
    if (seq === null || seq === undefined) return undefined;
    return parseActor(actorId, { seq, machine, version, snapshot, pending, status, epoch, owner });
  }

  async #call(
    verb: ScriptVerb,
    actorId: string,
    keys: string[],
    args: Array<string | number>,
  ): Promise<unknown> {
    const reply = await this.#scripts.run(verb, keys, args);
    if (isScriptCode(reply)) throw errorForCode(reply, verb, actorId);
    return reply;
  }
}

type Raw = string | number | null | undefined;

function parseActor(
  actorId: string,
  raw: {
    seq: Raw;
    machine: Raw;
    version: Raw;
    snapshot: Raw;
    pending: Raw;
    status: Raw;
    epoch: Raw;
    owner: Raw;
  },
): StoredActor {
  return {
    actorId,
    machine: String(raw.machine ?? ''),
    version: Number(raw.version),
    snapshot: JSON.parse(String(raw.snapshot)) as unknown,
    seq: Number(raw.seq),
    epoch: Number(raw.epoch ?? 0),
    owner: raw.owner === null || raw.owner === undefined ? undefined : String(raw.owner),
    pending: JSON.parse(String(raw.pending || '[]')) as EffectIntent[],
    status: raw.status === 'done' ? 'done' : 'active',
  };
}
