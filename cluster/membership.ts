// Who is alive: every node writes a heartbeat (owner id → Redis server time, so skewed node clocks
// do not matter) into a Redis sorted set every `heartbeatMs`; a peer silent for `deadAfterMs` is dead. Two faster signals: a node that drains says
// so on NATS, and a NATS request to a silent peer that fails with "no responders" (its connection is
// gone: kill -9 closes the socket) marks it dead once it has missed a heartbeat. Dead peers are
// handed to `onDead`; the host decides what to take over.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RequestError, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { ClusterKeys, ClusterSubjects } from './keys.ts';
import type { ClusterLogger } from './logger.ts';
import { ScriptRunner } from './scripts.ts';

export type DeathReason = 'silent' | 'no-responders' | 'left';

export interface MembershipOptions {
  readonly redis: Redis;
  readonly nats: NatsConnection;
  readonly keys: ClusterKeys;
  readonly subjects: ClusterSubjects;
  readonly ownerId: string;
  readonly heartbeatMs: number;
  readonly deadAfterMs: number;
  readonly clock: () => number;
  readonly logger: ClusterLogger;
  readonly onDead: (owner: string, reason: DeathReason) => Promise<void>;
}

/** The candidate with the highest hash of (candidate, key): stable as long as the candidate set is. */
export function rendezvousWinner(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1n;
  for (const candidate of candidates) {
    const score = createHash('sha1').update(candidate).update('\0').update(key).digest().readBigUInt64BE(0);
    if (score > bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

export class Membership {
  readonly #options: MembershipOptions;
  readonly #scripts: ScriptRunner;
  /** Redis server time minus local time, measured at each scan. */
  #offsetMs = 0;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #probing = new Set<string>();
  readonly #handling = new Set<string>();
  #subscription: Subscription | undefined;
  #seen = new Map<string, number>();
  /** Owners reported gone (drained, or no responders) → when; a later heartbeat outranks it. */
  readonly #gone = new Map<string, number>();
  #lastHeartbeatOkAt = 0;

  constructor(options: MembershipOptions) {
    this.#options = options;
    this.#scripts = new ScriptRunner(options.redis);
  }

  /** Now on the Redis server's clock, as estimated locally. */
  #now(): number {
    return this.#options.clock() + this.#offsetMs;
  }

  /** When this node last wrote its heartbeat (0: never). */
  get lastHeartbeatOkAt(): number {
    return this.#lastHeartbeatOkAt;
  }

  async start(): Promise<void> {
    const { nats, subjects, heartbeatMs } = this.#options;
    this.#subscription = nats.subscribe(subjects.membership(), {
      callback: (_error, message) => {
        const notice = message.json<{ left?: string }>();
        if (notice.left && notice.left !== this.#options.ownerId) this.#declareDead(notice.left, 'left');
      },
    });
    await this.#heartbeat();
    this.#timers.push(setInterval(() => void this.#heartbeat(), heartbeatMs));
    this.#timers.push(setInterval(() => void this.#detect(), Math.max(50, heartbeatMs / 4)));
  }

  /**
   * Owners that may inherit a dead owner's actors: heartbeat fresh (none missed) and not reported
   * gone since, this node included. A just-killed incarnation is excluded at once, so rendezvous
   * hashing never hands actors to a corpse.
   */
  successorCandidates(): string[] {
    const now = this.#now();
    const fresh = [...this.#seen]
      .filter(
        ([owner, at]) => now - at <= this.#options.heartbeatMs * 1.5 && at > (this.#gone.get(owner) ?? 0),
      )
      .map(([owner]) => owner);
    if (!fresh.includes(this.#options.ownerId)) fresh.push(this.#options.ownerId);
    return fresh.sort();
  }

  /** How long `owner` has been silent (Infinity if never seen). */
  silenceMs(owner: string): number {
    const at = this.#seen.get(owner);
    return at === undefined ? Infinity : this.#now() - at;
  }

  /** True when `owner` has missed at least one heartbeat: a "no responders" from it means it is gone. */
  hasMissedHeartbeat(owner: string): boolean {
    const at = this.#seen.get(owner);
    return at === undefined || this.#now() - at > this.#options.heartbeatMs * 1.5;
  }

  /** Confirms a peer dead on evidence gathered elsewhere (a failed request to it). */
  reportNoResponders(owner: string): void {
    if (owner !== this.#options.ownerId && this.hasMissedHeartbeat(owner))
      this.#declareDead(owner, 'no-responders');
  }

  /** Forgets a dead owner once nothing of it is left to take over. */
  async forget(owner: string): Promise<void> {
    if (!this.hasMissedHeartbeat(owner)) return;
    await this.#options.redis.zrem(this.#options.keys.members(), owner);
    this.#seen.delete(owner);
    this.#gone.delete(owner);
  }

  async stop(options: { announceLeaving: boolean }): Promise<void> {
    for (const timer of this.#timers.splice(0)) clearInterval(timer);
    this.#subscription?.unsubscribe();
    const { redis, nats, keys, subjects, ownerId } = this.#options;
    if (options.announceLeaving) {
      await redis.zrem(keys.members(), ownerId);
      nats.publish(subjects.membership(), JSON.stringify({ left: ownerId }));
      await nats.flush();
    }
  }

  async #heartbeat(): Promise<void> {
    const { keys, ownerId, clock, logger } = this.#options;
    try {
      await this.#scripts.run('beatHeart', [keys.members()], [ownerId]);
      this.#lastHeartbeatOkAt = clock();
    } catch (error) {
      logger.warn({ err: error }, 'heartbeat failed');
    }
  }

  async #detect(): Promise<void> {
    const { redis, keys, ownerId, clock, deadAfterMs, heartbeatMs } = this.#options;
    let entries: string[];
    try {
      const before = clock();
      const [[seconds, micros], members] = await Promise.all([
        redis.time(),
        redis.zrange(keys.members(), '0', '-1', 'WITHSCORES'),
      ]);
      this.#offsetMs =
        Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000) - Math.round((before + clock()) / 2);
      entries = members;
    } catch {
      return; // Redis away: nobody can take anything over anyway
    }
    const seen = new Map<string, number>();
    for (let i = 0; i + 1 < entries.length; i += 2) seen.set(entries[i] ?? '', Number(entries[i + 1]));
    this.#seen = seen;
    const now = this.#now();
    for (const [owner, at] of seen) {
      if (owner === ownerId) continue;
      if (now - at > deadAfterMs) this.#declareDead(owner, 'silent');
      else if (now - at > heartbeatMs * 1.5) this.#probe(owner);
    }
  }

  /** Asks a silent peer whether it is still subscribed; "no responders" means its connection is gone. */
  #probe(owner: string): void {
    if (this.#probing.has(owner)) return;
    this.#probing.add(owner);
    const { nats, subjects, heartbeatMs } = this.#options;
    nats
      .request(subjects.owner(owner), JSON.stringify({ op: 'ping' }), { timeout: heartbeatMs })
      .then(
        () => undefined,
        (error: unknown) => {
          if (error instanceof RequestError && error.isNoResponders()) this.reportNoResponders(owner);
        },
      )
      .finally(() => this.#probing.delete(owner));
  }

  #declareDead(owner: string, reason: DeathReason): void {
    if (reason !== 'silent') this.#gone.set(owner, this.#now());
    if (this.#handling.has(owner)) return;
    this.#handling.add(owner);
    this.#options
      .onDead(owner, reason)
      .catch((error: unknown) =>
        this.#options.logger.warn({ err: error, owner }, 'takeover failed; will retry'),
      )
      .finally(() => this.#handling.delete(owner));
  }
}
