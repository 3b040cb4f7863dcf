// Every Redis key and NATS subject the cluster runtime uses, built in one place. Keys that belong to
// one actor share the hash tag `{<prefix>:<actor id>}`, so each per-actor Lua script touches a single
// slot and runs unchanged on Redis Cluster; the cluster-wide indexes live under `{<prefix>}`.

/** Actor ids go into keys and NATS subjects: keep them to a safe, bounded alphabet. */
const ACTOR_ID = /^[A-Za-z0-9_.:-]{1,200}$/;
const PREFIX = /^[A-Za-z0-9_-]{1,64}$/;

export function isValidActorId(id: string): boolean {
  return ACTOR_ID.test(id) && !id.includes('..');
}

export interface ClusterKeys {
  readonly prefix: string;
  /** Hash: machine, version, snapshot (JSON), seq, epoch, pending (JSON effect intents). */
  actorState(actorId: string): string;
  /** String `<owner>|<epoch>` with a PX expiry: who may write the actor now. */
  actorLease(actorId: string): string;
  /** Stream: one entry per persisted macrostep (the audit trail). */
  actorLog(actorId: string): string;
  /** Highest epoch ever issued for the actor (the fencing high-water mark). */
  actorEpoch(actorId: string): string;
  /** Set of actor ids claimed by one owner (a superset: entries are added before a claim). */
  ownerIndex(ownerId: string): string;
  /** Sorted set: owner id → last heartbeat (ms). */
  members(): string;
  /** Sorted set: actor id → its next durable deadline (ms). */
  timers(): string;
}

export function createKeys(prefix: string): ClusterKeys {
  if (!PREFIX.test(prefix)) throw new Error(`invalid cluster key prefix '${prefix}'`);
  const actor = (id: string): string => `{${prefix}:${id}}`;
  return {
    prefix,
    actorState: (id) => `${actor(id)}:state`,
    actorLease: (id) => `${actor(id)}:lease`,
    actorLog: (id) => `${actor(id)}:log`,
    actorEpoch: (id) => `${actor(id)}:epoch`,
    ownerIndex: (ownerId) => `{${prefix}}:owner:${ownerId}`,
    members: () => `{${prefix}}:members`,
    timers: () => `{${prefix}}:timers`,
  };
}

export interface ClusterSubjects {
  /** Requests for actors hosted by one owner (events, reads). */
  owner(ownerId: string): string;
  /** Heartbeats and departures, for peers that want them faster than Redis polling. */
  membership(): string;
}

export function createSubjects(prefix: string): ClusterSubjects {
  return {
    owner: (ownerId) => `${prefix}.owner.${ownerId.replace(/[^A-Za-z0-9_-]/g, '_')}`,
    membership: () => `${prefix}.members`,
  };
}
