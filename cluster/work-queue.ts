// Outbound work over a JetStream work-queue stream: one subject and one shared durable consumer per
// trunk, so the consumer's `max_ack_pending` caps that trunk's concurrent work across the whole
// cluster, while `slots` caps it per node. Unacknowledged work returns after AckWait (a node died);
// long work keeps its claim with `working()` progress acks. Publishes carry `Nats-Msg-Id`, so a
// repeated publish (a retried effect) is stored once. JetStream is a dispatcher here, not the system
// of record: the actor that published the work owns its outcome (decision 7).
import {
  AckPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { isRetryable, RetryableError, TerminalError } from './errors.ts';
import { silentLogger, type ClusterLogger } from './logger.ts';

export interface TrunkLimits {
  /** Work in progress for this trunk across every node (the consumer's max_ack_pending). */
  readonly maxInFlight: number;
}

export interface WorkQueueOptions {
  readonly nats: NatsConnection;
  /** Stream name; its subjects are `<stream>.<trunk>`. */
  readonly stream: string;
  readonly trunks: Readonly<Record<string, TrunkLimits>>;
  /** Time a delivered item stays claimed without an ack or progress. */
  readonly ackWaitMs: number;
  /** Deliveries before an item is given up (the publisher's actor sees no completion and retries). */
  readonly maxDeliver?: number;
  /** How long `Nats-Msg-Id` duplicates are remembered. */
  readonly duplicateWindowMs?: number;
  readonly logger?: ClusterLogger;
}

export interface WorkItem {
  readonly id: string;
  readonly trunk: string;
  readonly data: unknown;
  /** 1 on the first delivery; more after a node died or work was retried. */
  readonly deliveryCount: number;
  readonly signal: AbortSignal;
}

/** Resolve to acknowledge; throw a RetryableError to have it redelivered later, a TerminalError to drop it. */
export type WorkHandler = (item: WorkItem) => Promise<void>;

const TRUNK = /^[A-Za-z0-9_-]{1,64}$/;

export class WorkQueue {
  readonly #options: WorkQueueOptions;
  readonly #js: JetStreamClient;
  readonly #log: ClusterLogger;
  readonly #running = new Set<Promise<void>>();
  readonly #abort = new AbortController();

  constructor(options: WorkQueueOptions) {
    for (const trunk of Object.keys(options.trunks))
      if (!TRUNK.test(trunk)) throw new TerminalError(`invalid trunk name '${trunk}'`);
    this.#options = options;
    this.#js = jetstream(options.nats);
    this.#log = options.logger ?? silentLogger;
  }

  /** Creates or updates the stream and one durable consumer per trunk. Idempotent; a trunk whose
   * channels changed since the last deploy gets its consumer's limits updated. */
  async ensure(): Promise<void> {
    const { stream, trunks, ackWaitMs } = this.#options;
    const jsm = await jetstreamManager(this.#options.nats);
    const config = {
      name: stream,
      subjects: [`${stream}.*`],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      duplicate_window: nanos(this.#options.duplicateWindowMs ?? 120_000),
    };
    try {
      await jsm.streams.info(stream);
      await jsm.streams.update(stream, config);
    } catch {
      await jsm.streams.add(config);
    }
    for (const [trunk, limits] of Object.entries(trunks)) {
      const changeable = {
        ack_wait: nanos(ackWaitMs),
        max_ack_pending: limits.maxInFlight,
        max_deliver: this.#options.maxDeliver ?? -1,
      };
      const existing = await jsm.consumers.info(stream, trunk).catch(() => undefined);
      if (existing) await jsm.consumers.update(stream, trunk, changeable);
      else
        await jsm.consumers.add(stream, {
          durable_name: trunk,
          filter_subject: `${stream}.${trunk}`,
          ack_policy: AckPolicy.Explicit,
          ...changeable,
        });
    }
  }

  /** Publishes once per `id` (within the duplicate window); returns whether it was a duplicate. */
  async publish(trunk: string, id: string, data: unknown): Promise<{ duplicate: boolean }> {
    if (!(trunk in this.#options.trunks)) throw new TerminalError(`unknown trunk '${trunk}'`);
    const ack = await this.#js.publish(`${this.#options.stream}.${trunk}`, JSON.stringify(data), {
      msgID: id,
    });
    return { duplicate: ack.duplicate };
  }

  /**
   * Runs `handler` for the trunk's work with at most `slots` items at once on this node, until
   * `stop()`. Resolves when consumption has stopped and running handlers have settled.
   */
  async consume(trunk: string, slots: number, handler: WorkHandler): Promise<void> {
    const consumer = await this.#js.consumers.get(this.#options.stream, trunk);
    const inFlight = new Set<Promise<void>>();
    while (!this.#abort.signal.aborted) {
      if (inFlight.size >= slots) {
        await Promise.race(inFlight);
        continue;
      }
      let messages;
      try {
        messages = await consumer.fetch({ max_messages: slots - inFlight.size, expires: 1_000 });
        for await (const message of messages) {
          const run = this.#handle(trunk, message, handler).finally(() => {
            inFlight.delete(run);
            this.#running.delete(run);
          });
          inFlight.add(run);
          this.#running.add(run);
        }
      } catch (error) {
        if (this.#abort.signal.aborted) break;
        this.#log.warn({ err: error, trunk }, 'work fetch failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    await Promise.allSettled(inFlight);
  }

  /** Stops fetching; handlers still running are told through their signal and left unacknowledged,
   * so their work returns after AckWait to another node. */
  async stop(): Promise<void> {
    this.#abort.abort(new RetryableError('work queue stopped'));
    await Promise.allSettled(this.#running);
  }

  async #handle(trunk: string, message: JsMsg, handler: WorkHandler): Promise<void> {
    // Progress acks at a third of AckWait keep the claim on long work.
    const progress = setInterval(() => message.working(), Math.max(100, this.#options.ackWaitMs / 3));
    try {
      await handler({
        id: message.headers?.get('Nats-Msg-Id') ?? String(message.seq),
        trunk,
        data: message.json<unknown>(),
        deliveryCount: message.info.deliveryCount,
        signal: this.#abort.signal,
      });
      if (!this.#abort.signal.aborted) message.ack();
    } catch (error) {
      if (this.#abort.signal.aborted) return;
      if (isRetryable(error)) message.nak(error instanceof RetryableError ? error.retryAfterMs : undefined);
      else message.term(error instanceof Error ? error.message : String(error));
    } finally {
      clearInterval(progress);
    }
  }
}
