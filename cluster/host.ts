// The actor host: one per node. It claims actors (leases with fencing epochs), applies events with
// XState's pure transition(), persists each macrostep with a fenced write BEFORE running the effects
// the step asked for (write-ahead), feeds effect results and durable timers back as events, renews
// leases, routes events for actors owned elsewhere over NATS, and takes over the actors of dead peers.
// Limits: one event at a time per actor (a mailbox); effects run concurrently; an event sent from
// outside is delivered at least once, so machines must tolerate a repeated external event.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { RequestError, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { forEachLimited, sleep, withTimeout } from './async.ts';
import { isRetryable, RetryableError, TerminalError } from './errors.ts';
import {
  createKeys,
  createSubjects,
  isValidActorId,
  type ClusterKeys,
  type ClusterSubjects,
} from './keys.ts';
import { silentLogger, type ClusterLogger } from './logger.ts';
import {
  createStepper,
  firstStep,
  HostEvent,
  restoreSnapshot,
  type Stepper,
  type MachineDefinition,
  type StepResult,
} from './machine.ts';
import { Membership, rendezvousWinner, type DeathReason } from './membership.ts';
import {
  ActorNotFoundError,
  LeaseHeldError,
  LeaseLostError,
  SequenceConflictError,
  StaleEpochError,
} from './script-codes.ts';
import { toView, type ActorView } from './reader.ts';
import { ActorStore, type ActorStatus, type EffectIntent } from './store.ts';

export interface ActorHostOptions {
  /** A connection for this host alone; create it with `enableOfflineQueue: false` so commands fail
   * fast while Redis is away instead of queueing past a lease's lifetime. */
  readonly redis: Redis;
  readonly nats: NatsConnection;
  /** Namespace of every key and subject (one cluster per prefix). */
  readonly prefix: string;
  /** Stable node name (the pod name); the owner id adds an incarnation so a restart is a new owner. */
  readonly nodeName: string;
  readonly incarnation?: string;
  readonly machines: readonly MachineDefinition[];
  readonly leaseTtlMs: number;
  readonly leaseRenewMs: number;
  readonly heartbeatMs: number;
  readonly nodeDeadAfterMs: number;
  /** Replicas a commit point waits for with WAIT (0 with no replicas: returns at once). */
  readonly waitReplicas?: number;
  readonly waitTimeoutMs?: number;
  /** How long `send` keeps trying to reach an actor's owner. */
  readonly sendTimeoutMs?: number;
  readonly logger?: ClusterLogger;
  readonly clock?: () => number;
}

/** What an effect handler receives. `key` is stable across retries and owners; `epoch` must be
 * passed to any outside resource that can refuse a stale owner. */
export interface EffectContext {
  readonly actorId: string;
  readonly key: string;
  readonly epoch: number;
  readonly attempt: number;
  readonly params: unknown;
  readonly signal: AbortSignal;
}
export type EffectHandler = (context: EffectContext) => Promise<unknown>;

/** The actor is not hosted here (any more): the caller should route again. */
export class NotHostedError extends RetryableError {}
/** The host is draining or stopped and takes no new work. */
export class HostClosedError extends RetryableError {
  constructor(message: string) {
    super(message, { wire: { http: 503 } });
  }
}
export class UnknownMachineError extends TerminalError {}

type Snapshot = StepResult['snapshot'];

/** Any event a machine accepts: a `type` and its fields, all JSON-serialisable. */
export interface ActorEvent {
  readonly type: string;
  readonly [field: string]: unknown;
}

interface HostedActor {
  readonly id: string;
  readonly definition: MachineDefinition;
  readonly step: Stepper;
  snapshot: Snapshot;
  seq: number;
  readonly epoch: number;
  pending: EffectIntent[];
  status: ActorStatus;
  /** Monotonic time (performance.now) until which our lease is certainly still valid. */
  leaseValidUntil: number;
  mailbox: Promise<unknown>;
  readonly running: Map<string, AbortController>;
  timer: NodeJS.Timeout | undefined;
  armedDeadline: number | undefined;
  firedDeadline: number | undefined;
  /** The deadline last written to the timer index ('none' before the first write). */
  indexedDeadline: number | undefined | 'none';
  stopped: boolean;
}

interface RouteRequest {
  readonly op: 'send' | 'ping';
  readonly actorId?: string;
  readonly event?: { type: string };
}
interface RouteReply {
  readonly ok: boolean;
  readonly notHere?: boolean;
  readonly error?: { name: string; message: string; retryable: boolean };
}

const isFencing = (error: unknown): boolean =>
  error instanceof LeaseLostError ||
  error instanceof StaleEpochError ||
  error instanceof SequenceConflictError;

export class ActorHost {
  readonly ownerId: string;
  readonly keys: ClusterKeys;
  readonly #subjects: ClusterSubjects;
  readonly #options: ActorHostOptions;
  readonly #redis: Redis;
  readonly #nats: NatsConnection;
  readonly #store: ActorStore;
  readonly #membership: Membership;
  readonly #machines = new Map<string, MachineDefinition>();
  readonly #handlers = new Map<string, EffectHandler>();
  readonly #hosted = new Map<string, HostedActor>();
  readonly #claiming = new Map<string, Promise<{ actor: HostedActor; created: boolean }>>();
  readonly #log: ClusterLogger;
  readonly #clock: () => number;
  readonly #leaseMarginMs: number;
  #subscription: Subscription | undefined;
  #timers: NodeJS.Timeout[] = [];
  #state: 'new' | 'running' | 'draining' | 'stopped' = 'new';
  #natsConnected = true;

  constructor(options: ActorHostOptions) {
    assertTimings(options);
    this.#options = options;
    this.ownerId = `${options.nodeName}#${options.incarnation ?? randomBytes(4).toString('hex')}`;
    this.keys = createKeys(options.prefix);
    this.#subjects = createSubjects(options.prefix);
    this.#redis = options.redis;
    this.#nats = options.nats;
    this.#log = options.logger ?? silentLogger;
    this.#clock = options.clock ?? Date.now;
    // A lease is trusted locally for its TTL minus a margin for clock-rate differences and the
    // time between Redis applying a renewal and us hearing the reply.
    this.#leaseMarginMs = Math.min(500, options.leaseTtlMs / 6);
    this.#store = new ActorStore(options.redis, this.keys, { leaseTtlMs: options.leaseTtlMs });
    // Connection errors surface as failed commands and readiness; the event itself is only noise.
    options.redis.on('error', (error: unknown) => this.#log.debug({ err: error }, 'redis connection error'));
    for (const machine of options.machines) this.#machines.set(machine.name, machine);
    this.#membership = new Membership({
      redis: options.redis,
      nats: options.nats,
      keys: this.keys,
      subjects: this.#subjects,
      ownerId: this.ownerId,
      heartbeatMs: options.heartbeatMs,
      deadAfterMs: options.nodeDeadAfterMs,
      clock: this.#clock,
      logger: this.#log,
      onDead: (owner, reason) => this.#takeOver(owner, reason),
    });
  }

  /** Registers the handler of one named effect of one machine (src/ does this at start-up). */
  registerEffect(machine: string, effect: string, handler: EffectHandler): void {
    const definition = this.#machines.get(machine);
    if (!definition?.effects.includes(effect))
      throw new UnknownMachineError(`machine ${machine} declares no effect '${effect}'`);
    this.#handlers.set(`${machine}/${effect}`, handler);
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') throw new HostClosedError('a host starts once');
    for (const machine of this.#machines.values()) {
      for (const effect of machine.effects) {
        if (!this.#handlers.has(`${machine.name}/${effect}`)) {
          throw new UnknownMachineError(
            `no handler registered for effect '${effect}' of machine ${machine.name}`,
          );
        }
      }
    }
    await this.#store.scripts.load();
    this.#state = 'running';
    this.#subscription = this.#nats.subscribe(this.#subjects.owner(this.ownerId), {
      callback: (_error, message) => {
        void this.#answer(message.json<RouteRequest>()).then((reply) =>
          message.respond(JSON.stringify(reply)),
        );
      },
    });
    void this.#watchNats();
    await this.#membership.start();
    const { leaseRenewMs, heartbeatMs } = this.#options;
    this.#timers.push(setInterval(() => void this.#renewLeases(), leaseRenewMs));
    this.#timers.push(setInterval(() => void this.#reconcile(), heartbeatMs));
    this.#log.info({ owner: this.ownerId }, 'actor host started');
  }

  /** Ready to take work: Redis and NATS connected, heartbeat recent, not draining. */
  isReady(): boolean {
    return (
      this.#state === 'running' &&
      this.#redis.status === 'ready' &&
      this.#natsConnected &&
      !this.#nats.isClosed() &&
      this.#clock() - this.#membership.lastHeartbeatOkAt < this.#options.heartbeatMs * 2.5
    );
  }

  /** Ids of the actors this node hosts right now. */
  hostedActors(): string[] {
    return [...this.#hosted.keys()];
  }

  /**
   * Creates the actor if it does not exist (idempotent: a repeated spawn is a no-op) and returns once
   * its first snapshot is durable. `created` is false when it already existed.
   */
  async spawn(machine: string, actorId: string, input: unknown): Promise<{ created: boolean }> {
    this.#assertRunning();
    if (!isValidActorId(actorId))
      throw new TerminalError(`invalid actor id '${actorId}'`, { wire: { http: 400 } });
    const definition = this.#machines.get(machine);
    if (!definition) throw new UnknownMachineError(`unknown machine '${machine}'`);
    if (this.#hosted.has(actorId)) return { created: false };
    const first = firstStep(definition, actorId, input);
    try {
      const { created } = await this.#claimAndHost(actorId, {
        create: {
          machine: definition.name,
          version: definition.version,
          snapshot: first.persisted,
          pending: [...first.effects],
          status: first.status,
          event: { type: 'xstate.init', input },
        },
      });
      return { created };
    } catch (error) {
      if (error instanceof LeaseHeldError) return { created: false };
      throw error;
    }
  }

  /** Sends an event to an actor wherever it lives; resolves once the resulting step is persisted. */
  async send(actorId: string, event: ActorEvent): Promise<void> {
    const deadline = this.#clock() + (this.#options.sendTimeoutMs ?? 10_000);
    for (let attempt = 0; ; attempt += 1) {
      if (this.#clock() > deadline)
        throw new RetryableError(`actor ${actorId} unreachable`, { wire: { http: 503 } });
      if (attempt > 0) await sleep(Math.min(200, 20 * attempt));
      this.#assertRunning();
      const local = this.#hosted.get(actorId);
      if (local) {
        try {
          await this.#enqueue(local, event);
          return;
        } catch (error) {
          if (error instanceof NotHostedError || isFencing(error)) continue;
          throw error;
        }
      }
      let holder: string | undefined;
      try {
        holder = await this.#store.leaseHolder(actorId);
      } catch {
        continue; // Redis away: keep trying until the deadline
      }
      if (holder === undefined || holder === this.ownerId) {
        if ((await this.#claimForSend(actorId)) === 'finished') return;
        continue;
      }
      const reply = await this.#requestOwner(holder, actorId, event);
      if (reply === 'delivered') return;
      if (reply === 'owner-gone' && (await this.#claimForSend(actorId, holder)) === 'finished') return;
    }
  }

  /** The persisted state of an actor, read from Redis by any node. */
  async read(actorId: string): Promise<ActorView | undefined> {
    const stored = await this.#store.read(actorId);
    return stored && toView(stored);
  }

  /**
   * Stops taking work, lets each actor finish its current step, releases every lease and tells peers,
   * who claim the actors at once. Effects still running are abandoned: their new owner runs them
   * again with the same idempotency keys.
   */
  async drain(graceMs: number): Promise<void> {
    if (this.#state !== 'running') return;
    this.#state = 'draining';
    const until = performance.now() + graceMs * 0.8;
    for (const timer of this.#timers.splice(0)) clearInterval(timer);
    const actors = [...this.#hosted.values()];
    let graceTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(actors.map((actor) => actor.mailbox)),
      new Promise((resolve) => (graceTimer = setTimeout(resolve, Math.max(0, until - performance.now())))),
    ]);
    clearTimeout(graceTimer);
    await Promise.allSettled(
      actors.map(async (actor) => {
        this.#stopActor(actor, 'draining');
        // Keep the index entry: it is how peers find the actor to claim it.
        await this.#store.release(actor.id, this.ownerId, actor.epoch);
      }),
    );
    await this.#membership
      .stop({ announceLeaving: true })
      .catch((error: unknown) => this.#log.warn({ err: error }, 'leave notice failed'));
    this.#subscription?.unsubscribe();
    this.#state = 'stopped';
    this.#log.info({ owner: this.ownerId, released: actors.length }, 'actor host drained');
  }

  /** Stops at once without releasing anything (tests use it to play a crash). */
  async stop(): Promise<void> {
    for (const timer of this.#timers.splice(0)) clearInterval(timer);
    for (const actor of [...this.#hosted.values()]) this.#stopActor(actor, 'host stopped');
    await this.#membership.stop({ announceLeaving: false });
    this.#subscription?.unsubscribe();
    this.#state = 'stopped';
  }

  // ── claiming and hosting ───────────────────────────────────────────────────────────────────────

  /** Claims an actor an event is for; 'finished' when it already reached a final state (events to a
   * finished machine are ignored, as XState does). */
  async #claimForSend(actorId: string, deadOwner?: string): Promise<'finished' | undefined> {
    try {
      const { actor } = await this.#claimAndHost(actorId, deadOwner ? { deadOwner } : {});
      if (actor.status === 'done' && actor.pending.length === 0) return 'finished';
    } catch (error) {
      if (error instanceof ActorNotFoundError) throw error;
      if (!(error instanceof LeaseHeldError))
        this.#log.debug({ err: error, actorId }, 'claim for send failed');
    }
    return undefined;
  }

  #claimAndHost(
    actorId: string,
    options: Parameters<ActorStore['claim']>[2] = {},
  ): Promise<{ actor: HostedActor; created: boolean }> {
    const hosted = this.#hosted.get(actorId);
    if (hosted) return Promise.resolve({ actor: hosted, created: false });
    const inFlight = this.#claiming.get(actorId);
    if (inFlight) return inFlight;
    const claiming = this.#doClaim(actorId, options).finally(() => this.#claiming.delete(actorId));
    this.#claiming.set(actorId, claiming);
    return claiming;
  }

  async #doClaim(
    actorId: string,
    options: Parameters<ActorStore['claim']>[2],
  ): Promise<{ actor: HostedActor; created: boolean }> {
    this.#assertRunning();
    const index = this.keys.ownerIndex(this.ownerId);
    // The index is written first so it is always a superset of what this owner may hold.
    await this.#redis.sadd(index, actorId);
    const startedAt = performance.now();
    let claim;
    try {
      claim = await this.#store.claim(actorId, this.ownerId, options);
    } catch (error) {
      if (error instanceof LeaseHeldError || error instanceof ActorNotFoundError)
        await this.#redis.srem(index, actorId);
      throw error;
    }
    const stored = claim.actor;
    const definition = this.#machines.get(stored.machine);
    if (!definition || stored.version > definition.version) {
      await this.#store.release(actorId, this.ownerId, claim.epoch);
      await this.#redis.srem(index, actorId);
      throw new UnknownMachineError(`this node cannot host ${stored.machine} v${stored.version}`);
    }
    const actor: HostedActor = {
      id: actorId,
      definition,
      step: createStepper(definition, actorId),
      snapshot: restoreSnapshot(definition, stored.snapshot),
      seq: stored.seq,
      epoch: claim.epoch,
      pending: [...stored.pending],
      status: stored.status,
      leaseValidUntil: startedAt + this.#options.leaseTtlMs - this.#leaseMarginMs,
      mailbox: Promise.resolve(),
      running: new Map(),
      timer: undefined,
      armedDeadline: undefined,
      firedDeadline: undefined,
      indexedDeadline: 'none',
      stopped: false,
    };
    // The claim is a commit point: an epoch acted on must survive a failover.
    await this.#waitReplicas();
    if (this.#state !== 'running') {
      await this.#store.release(actorId, this.ownerId, claim.epoch);
      throw new HostClosedError('host is draining');
    }
    this.#hosted.set(actorId, actor);
    this.#log.debug(
      { actorId, epoch: claim.epoch, seq: stored.seq, created: claim.created },
      'actor claimed',
    );
    await this.#afterStep(actor, actor.pending);
    return { actor, created: claim.created };
  }

  /** Schedules the durable timer, starts the step's effects, retires a finished actor. */
  async #afterStep(actor: HostedActor, effects: readonly EffectIntent[]): Promise<void> {
    await this.#indexDeadline(actor);
    for (const intent of effects) void this.#runEffect(actor, intent);
    if (actor.status === 'done' && actor.pending.length === 0) await this.#retire(actor);
  }

  async #retire(actor: HostedActor): Promise<void> {
    this.#stopActor(actor, 'finished');
    await this.#store.release(actor.id, this.ownerId, actor.epoch);
    await this.#redis.srem(this.keys.ownerIndex(this.ownerId), actor.id);
  }

  #stopActor(actor: HostedActor, reason: string): void {
    if (actor.stopped) return;
    actor.stopped = true;
    if (actor.timer) clearTimeout(actor.timer);
    for (const controller of actor.running.values()) controller.abort(new NotHostedError(reason));
    if (this.#hosted.get(actor.id) === actor) this.#hosted.delete(actor.id);
    if (reason !== 'finished') this.#log.debug({ actorId: actor.id, reason }, 'actor stopped');
  }

  /** Stops an actor we were fenced off from and forgets it in our index. */
  #lose(actor: HostedActor, reason: string): void {
    this.#stopActor(actor, reason);
    this.#redis.srem(this.keys.ownerIndex(this.ownerId), actor.id).catch(() => undefined);
  }

  // ── applying events ────────────────────────────────────────────────────────────────────────────

  #enqueue(actor: HostedActor, event: { type: string }): Promise<void> {
    const run = actor.mailbox.then(() => this.#apply(actor, event));
    actor.mailbox = run.catch(() => undefined);
    return run;
  }

  async #apply(actor: HostedActor, event: { type: string }): Promise<void> {
    if (actor.stopped) throw new NotHostedError(`actor ${actor.id} is no longer hosted here`);
    if (performance.now() > actor.leaseValidUntil) {
      this.#stopActor(actor, 'lease may have lapsed');
      throw new NotHostedError(`actor ${actor.id}: lease may have lapsed`);
    }
    const completedKey = isEffectResult(event) ? event.key : undefined;
    if (actor.status === 'done' && completedKey === undefined) return;
    const seq = actor.seq + 1;
    const step =
      actor.status === 'done'
        ? {
            snapshot: actor.snapshot,
            persisted: actor.definition.logic.getPersistedSnapshot(actor.snapshot),
            effects: [],
            status: actor.status,
          }
        : actor.step(actor.snapshot, event, seq);
    const pending = [...actor.pending.filter((intent) => intent.key !== completedKey), ...step.effects];
    const startedAt = performance.now();
    try {
      await this.#store.commit(actor.id, {
        owner: this.ownerId,
        epoch: actor.epoch,
        seq,
        snapshot: step.persisted,
        pending,
        status: step.status,
        event,
      });
    } catch (error) {
      if (isFencing(error)) this.#lose(actor, (error as Error).message);
      throw error;
    }
    actor.leaseValidUntil = Math.max(
      actor.leaseValidUntil,
      startedAt + this.#options.leaseTtlMs - this.#leaseMarginMs,
    );
    // Commit points (decision 7): an intent before it runs, and a final state.
    if (step.effects.length > 0 || step.status === 'done') await this.#waitReplicas();
    actor.snapshot = step.snapshot;
    actor.seq = seq;
    actor.pending = pending;
    actor.status = step.status;
    await this.#afterStep(actor, step.effects);
  }

  /** Delivers an event produced here (effect result, timer) until it is persisted or we lose the actor. */
  async #deliverInternal(actor: HostedActor, event: { type: string }): Promise<void> {
    for (let attempt = 0; !actor.stopped; attempt += 1) {
      try {
        await this.#enqueue(actor, event);
        return;
      } catch (error) {
        if (actor.stopped || isFencing(error) || error instanceof NotHostedError) return;
        this.#log.warn(
          { err: error, actorId: actor.id, event: event.type },
          'could not persist an internal event; retrying',
        );
        await sleep(Math.min(1_000, 100 * 2 ** attempt));
      }
    }
  }

  // ── effects ────────────────────────────────────────────────────────────────────────────────────

  async #runEffect(actor: HostedActor, intent: EffectIntent): Promise<void> {
    if (actor.running.has(intent.key)) return;
    const handler = this.#handlers.get(`${actor.definition.name}/${intent.name}`);
    const controller = new AbortController();
    actor.running.set(intent.key, controller);
    let result: { type: string };
    try {
      if (!handler) throw new UnknownMachineError(`no handler for effect ${intent.name}`);
      for (let attempt = 1; ; attempt += 1) {
        // Never touch the outside world on a lease that may have lapsed (a paused process wakes here).
        if (actor.stopped || performance.now() > actor.leaseValidUntil) return;
        try {
          const output = await handler({
            actorId: actor.id,
            key: intent.key,
            epoch: actor.epoch,
            attempt,
            params: intent.params,
            signal: controller.signal,
          });
          result = {
            type: HostEvent.effectDone,
            effect: intent.name,
            key: intent.key,
            output: output ?? null,
          } as { type: string };
          break;
        } catch (error) {
          if (actor.stopped) return;
          if (!isRetryable(error)) throw error;
          const hinted = error instanceof RetryableError ? error.retryAfterMs : undefined;
          await sleep(hinted ?? Math.min(5_000, 50 * 2 ** Math.min(attempt, 7)));
        }
      }
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      result = {
        type: HostEvent.effectFailed,
        effect: intent.name,
        key: intent.key,
        error: { name: failure.name, message: failure.message },
      } as { type: string };
    } finally {
      actor.running.delete(intent.key);
    }
    await this.#deliverInternal(actor, result);
  }

  // ── durable timers ─────────────────────────────────────────────────────────────────────────────

  /** Arms the in-process timer for the actor's next deadline and indexes it in Redis. A deadline
   * already passed (e.g. during an outage) fires at once. */
  async #indexDeadline(actor: HostedActor): Promise<void> {
    const deadline = actor.status === 'active' ? actor.definition.nextDeadline?.(actor.snapshot) : undefined;
    if (deadline !== actor.indexedDeadline) {
      try {
        if (deadline === undefined) await this.#redis.zrem(this.keys.timers(), actor.id);
        else await this.#redis.zadd(this.keys.timers(), String(deadline), actor.id);
        actor.indexedDeadline = deadline;
      } catch (error) {
        this.#log.debug({ err: error, actorId: actor.id }, 'timer index not updated');
      }
    }
    if (actor.timer && deadline === actor.armedDeadline) return; // unchanged: keep the armed timer
    if (actor.timer) clearTimeout(actor.timer);
    actor.timer = undefined;
    actor.armedDeadline = undefined;
    if (deadline === undefined || deadline === actor.firedDeadline || actor.stopped) return;
    actor.armedDeadline = deadline;
    const fire = (): void => {
      const now = this.#clock();
      if (now < deadline) {
        actor.timer = setTimeout(fire, Math.min(deadline - now, 2 ** 31 - 1));
        return;
      }
      actor.firedDeadline = deadline;
      actor.timer = undefined;
      void this.#deliverInternal(actor, { type: HostEvent.timer, deadline, now } as { type: string });
    };
    actor.timer = setTimeout(fire, Math.max(0, Math.min(deadline - this.#clock(), 2 ** 31 - 1)));
  }

  // ── leases, reconciliation, takeover ───────────────────────────────────────────────────────────

  async #renewLeases(): Promise<void> {
    const startedAt = performance.now();
    const actors = [...this.#hosted.values()];
    // A process that was paused wakes up here first: drop what it can no longer be sure it owns.
    for (const actor of actors)
      if (startedAt > actor.leaseValidUntil) this.#stopActor(actor, 'lease may have lapsed');
    const live = actors.filter((actor) => !actor.stopped);
    try {
      const lost = await withTimeout(
        this.#store.renew(
          live.map((actor) => ({ actorId: actor.id, owner: this.ownerId, epoch: actor.epoch })),
        ),
        this.#options.leaseRenewMs,
      );
      const lostIds = new Set(lost);
      for (const actor of live) {
        if (lostIds.has(actor.id)) this.#lose(actor, 'lease lost');
        else
          actor.leaseValidUntil = Math.max(
            actor.leaseValidUntil,
            startedAt + this.#options.leaseTtlMs - this.#leaseMarginMs,
          );
      }
    } catch (error) {
      // Renewal failed: stop every actor whose lease could lapse before the next attempt.
      const next = performance.now() + this.#options.leaseRenewMs;
      for (const actor of live)
        if (next > actor.leaseValidUntil) this.#stopActor(actor, 'cannot renew lease');
      this.#log.warn({ err: error }, 'lease renewal failed');
    }
  }

  /**
   * Re-claims actors in our own index we do not host (e.g. stopped while Redis was away), and any
   * actor whose deadline is long overdue with nobody holding its lease: an orphan no owner index
   * lists any more (a failover rolled the index back), found through the timer index.
   */
  async #reconcile(): Promise<void> {
    if (this.#state !== 'running') return;
    let ids: string[];
    let overdue: string[];
    try {
      ids = await this.#redis.smembers(this.keys.ownerIndex(this.ownerId));
      const cutoff = this.#clock() - this.#options.nodeDeadAfterMs * 2;
      overdue = await this.#redis.zrangebyscore(this.keys.timers(), '-inf', String(cutoff), 'LIMIT', 0, 100);
    } catch {
      return;
    }
    const orphans: string[] = [];
    for (const id of overdue) {
      if (this.#hosted.has(id) || ids.includes(id)) continue;
      if ((await this.#store.leaseHolder(id)) === undefined) orphans.push(id);
    }
    if (orphans.length > 0)
      this.#log.warn({ actors: orphans.length }, 'claiming orphans found by overdue timers');
    const missing = [...ids, ...orphans].filter((id) => !this.#hosted.has(id) && !this.#claiming.has(id));
    await forEachLimited(missing, 32, async (id) => {
      try {
        await this.#claimAndHost(id);
      } catch (error) {
        if (!(error instanceof LeaseHeldError) && !(error instanceof ActorNotFoundError)) {
          this.#log.debug({ err: error, actorId: id }, 'reconcile claim failed');
        }
      }
    });
  }

  /** Claims the actors of a dead owner that rendezvous hashing assigns to us. */
  async #takeOver(dead: string, reason: DeathReason): Promise<void> {
    if (this.#state !== 'running' || dead === this.ownerId) return;
    const index = this.keys.ownerIndex(dead);
    const ids = await this.#redis.smembers(index);
    const candidates = this.#membership.successorCandidates().filter((owner) => owner !== dead);
    // Long dead and still not empty: the chosen successor failed too, so whoever gets here claims.
    const everyone = this.#membership.silenceMs(dead) > this.#options.nodeDeadAfterMs * 2;
    const mine = everyone ? ids : ids.filter((id) => rendezvousWinner(id, candidates) === this.ownerId);
    if (mine.length > 0)
      this.#log.info({ dead, reason, actors: mine.length }, 'taking over actors of a dead owner');
    await forEachLimited(mine, 32, async (id) => {
      try {
        await this.#claimAndHost(id, { deadOwner: dead });
        await this.#redis.srem(index, id);
      } catch (error) {
        if (error instanceof ActorNotFoundError) await this.#redis.srem(index, id);
        else if (error instanceof LeaseHeldError) {
          const holder = await this.#store.leaseHolder(id);
          if (holder !== undefined && holder !== dead) await this.#redis.srem(index, id);
        } else throw error;
      }
    });
    if ((await this.#redis.scard(index)) === 0) await this.#membership.forget(dead);
  }

  // ── routing ────────────────────────────────────────────────────────────────────────────────────

  async #requestOwner(
    owner: string,
    actorId: string,
    event: { type: string },
  ): Promise<'delivered' | 'retry' | 'owner-gone'> {
    try {
      const message = await this.#nats.request(
        this.#subjects.owner(owner),
        JSON.stringify({ op: 'send', actorId, event }),
        {
          timeout: this.#options.leaseTtlMs,
        },
      );
      const reply = message.json<RouteReply>();
      if (reply.ok) return 'delivered';
      if (reply.notHere) return 'retry';
      const error = reply.error;
      if (error && !error.retryable) throw new TerminalError(`${error.name}: ${error.message}`);
      return 'retry';
    } catch (error) {
      if (error instanceof RequestError && error.isNoResponders()) {
        this.#membership.reportNoResponders(owner);
        return this.#membership.hasMissedHeartbeat(owner) ? 'owner-gone' : 'retry';
      }
      if (error instanceof TerminalError) throw error;
      return 'retry';
    }
  }

  async #answer(request: RouteRequest): Promise<RouteReply> {
    if (request.op === 'ping') return { ok: true };
    const actor = request.actorId === undefined ? undefined : this.#hosted.get(request.actorId);
    if (!actor || !request.event || this.#state !== 'running') return { ok: false, notHere: true };
    try {
      await this.#enqueue(actor, request.event);
      return { ok: true };
    } catch (error) {
      if (error instanceof NotHostedError || isFencing(error)) return { ok: false, notHere: true };
      const failure = error instanceof Error ? error : new Error(String(error));
      return {
        ok: false,
        error: { name: failure.name, message: failure.message, retryable: isRetryable(error) },
      };
    }
  }

  async #watchNats(): Promise<void> {
    for await (const status of this.#nats.status()) {
      if (status.type === 'disconnect') this.#natsConnected = false;
      else if (status.type === 'reconnect') this.#natsConnected = true;
    }
  }

  async #waitReplicas(): Promise<void> {
    await this.#redis.wait(this.#options.waitReplicas ?? 0, this.#options.waitTimeoutMs ?? 1_000);
  }

  #assertRunning(): void {
    if (this.#state !== 'running') throw new HostClosedError(`actor host ${this.ownerId} is ${this.#state}`);
  }
}

/** A lease must survive two failed renewals, and death needs more than one missed heartbeat. */
function assertTimings(options: ActorHostOptions): void {
  const { leaseTtlMs, leaseRenewMs, heartbeatMs, nodeDeadAfterMs } = options;
  if (!(leaseRenewMs > 0 && leaseRenewMs * 2 < leaseTtlMs)) {
    throw new TerminalError(
      `leaseRenewMs (${leaseRenewMs}) must be positive and under half of leaseTtlMs (${leaseTtlMs})`,
    );
  }
  if (!(heartbeatMs > 0 && heartbeatMs * 2 <= nodeDeadAfterMs)) {
    throw new TerminalError(
      `heartbeatMs (${heartbeatMs}) must be positive and at most half of nodeDeadAfterMs (${nodeDeadAfterMs})`,
    );
  }
}

function isEffectResult(event: { type: string }): event is { type: string; key: string } {
  return (event.type === HostEvent.effectDone || event.type === HostEvent.effectFailed) && 'key' in event;
}
