// Small NATS messages between the node that owns a job and the node that executes its call:
// "the call of this effect has ended" (its result is in Redis: the waiting placeCall effect stops
// waiting) and "hang up this job's call" (a cancel). They only speed things up: the effect also
// polls Redis, and an executor also reads the job's cancel flag before it dials.
import type { NatsConnection, Subscription } from '@nats-io/transport-node';

export class CallSignals {
  readonly #nats: NatsConnection;
  readonly #endedSubject: string;
  readonly #hangUpSubject: string;
  readonly #waiting = new Map<string, Set<() => void>>();
  readonly #hangUpHandlers = new Set<(jobId: string) => void>();
  readonly #subscriptions: Subscription[] = [];

  constructor(nats: NatsConnection, prefix: string) {
    this.#nats = nats;
    this.#endedSubject = `${prefix}.outbound.call-ended`;
    this.#hangUpSubject = `${prefix}.outbound.hang-up`;
  }

  start(): void {
    this.#subscriptions.push(
      this.#nats.subscribe(this.#endedSubject, {
        callback: (_error, message) => {
          const { call } = message.json<{ call: string }>();
          for (const wake of this.#waiting.get(call) ?? []) wake();
        },
      }),
      this.#nats.subscribe(this.#hangUpSubject, {
        callback: (_error, message) => {
          const { jobId } = message.json<{ jobId: string }>();
          for (const handler of this.#hangUpHandlers) handler(jobId);
        },
      }),
    );
  }

  stop(): void {
    for (const subscription of this.#subscriptions.splice(0)) subscription.unsubscribe();
  }

  callEnded(call: string): void {
    this.#nats.publish(this.#endedSubject, JSON.stringify({ call }));
  }

  /** Resolves when `call` is announced as ended, after `timeoutMs`, or when `signal` aborts. */
  async ended(call: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    const waiters = this.#waiting.get(call) ?? new Set();
    waiters.add(wake);
    this.#waiting.set(call, waiters);
    const timer = setTimeout(wake, timeoutMs);
    signal.addEventListener('abort', wake, { once: true });
    try {
      await woken;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', wake);
      waiters.delete(wake);
      if (waiters.size === 0) this.#waiting.delete(call);
    }
  }

  hangUp(jobId: string): void {
    this.#nats.publish(this.#hangUpSubject, JSON.stringify({ jobId }));
  }

  onHangUp(handler: (jobId: string) => void): void {
    this.#hangUpHandlers.add(handler);
  }
}
