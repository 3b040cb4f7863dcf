// Requests to "any node of the cluster" over NATS: operators' commands (pause a campaign, cancel a
// job) reach whichever node answers first in a queue group, and that node acts through the actor
// host, which routes to the actor's owner. Replies carry our error taxonomy (name, message,
// retryable) so a command can tell "try again" from "refused".
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { isRetryable, RetryableError, TerminalError } from './errors.ts';
import { silentLogger, type ClusterLogger } from './logger.ts';

type Reply =
  | { readonly ok: true; readonly result: unknown }
  | {
      readonly ok: false;
      readonly error: { readonly name: string; readonly message: string; readonly retryable: boolean };
    };

const VERB = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/;

function subjectOf(prefix: string, verb: string): string {
  if (!VERB.test(verb)) throw new TerminalError(`invalid API verb '${verb}'`);
  return `${prefix}.api.${verb}`;
}

export class NodeApi {
  readonly #nats: NatsConnection;
  readonly #prefix: string;
  readonly #log: ClusterLogger;
  readonly #subscriptions: Subscription[] = [];

  constructor(nats: NatsConnection, prefix: string, logger: ClusterLogger = silentLogger) {
    this.#nats = nats;
    this.#prefix = prefix;
    this.#log = logger;
  }

  /** Answers `verb` on this node (one node of the queue group gets each request). */
  handle<Request, Result>(verb: string, handler: (request: Request) => Promise<Result>): void {
    const subscription = this.#nats.subscribe(subjectOf(this.#prefix, verb), {
      queue: 'api',
      callback: (_error, message) => {
        void (async (): Promise<Reply> => {
          try {
            return { ok: true, result: await handler(message.json<Request>()) };
          } catch (error) {
            const failure = error instanceof Error ? error : new Error(String(error));
            if (!(error instanceof TerminalError)) this.#log.warn({ err: error, verb }, 'API request failed');
            return {
              ok: false,
              error: { name: failure.name, message: failure.message, retryable: isRetryable(error) },
            };
          }
        })().then((reply) => message.respond(JSON.stringify(reply)));
      },
    });
    this.#subscriptions.push(subscription);
  }

  close(): void {
    for (const subscription of this.#subscriptions.splice(0)) subscription.unsubscribe();
  }
}

/** Asks any node; throws the node's error (Terminal or Retryable) when it refused. */
export async function requestNode<Result>(
  nats: NatsConnection,
  prefix: string,
  verb: string,
  request: unknown,
  timeoutMs = 10_000,
): Promise<Result> {
  let message;
  try {
    message = await nats.request(subjectOf(prefix, verb), JSON.stringify(request), { timeout: timeoutMs });
  } catch (error) {
    throw new RetryableError(`no faxswitch node answered '${verb}': ${(error as Error).message}`, {
      cause: error,
    });
  }
  const reply = message.json<Reply>();
  if (reply.ok) return reply.result as Result;
  const ErrorClass = reply.error.retryable ? RetryableError : TerminalError;
  throw new ErrorClass(reply.error.message);
}
