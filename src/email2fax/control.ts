// Operators' commands that must act through a node's actor host (the CLI hosts no actors): spawn the
// jobs of a submission the CLI stored, and cancel a job. Requests go over NATS to any one node
// (a queue group); the reply comes once the step is durable.
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { isRetryable, RetryableError, TerminalError, type ActorHost } from '../../cluster/index.ts';
import type { OutboundRecords } from './records.ts';
import type { JobLauncher } from './submissions.ts';

export type ControlRequest =
  { readonly op: 'spawn'; readonly submissionId: string } | { readonly op: 'cancel'; readonly jobId: string };

export type ControlReply =
  | { readonly ok: true; readonly jobIds: readonly string[] }
  | { readonly ok: false; readonly error: string; readonly retryable: boolean };

function subject(prefix: string): string {
  return `${prefix}.outbound.control`;
}

export class OutboundControl {
  readonly #nats: NatsConnection;
  readonly #prefix: string;
  readonly #host: Pick<ActorHost, 'send' | 'read'>;
  readonly #launcher: JobLauncher;
  readonly #records: OutboundRecords;
  #subscription: Subscription | undefined;

  constructor(options: {
    nats: NatsConnection;
    prefix: string;
    host: Pick<ActorHost, 'send' | 'read'>;
    launcher: JobLauncher;
    records: OutboundRecords;
  }) {
    this.#nats = options.nats;
    this.#prefix = options.prefix;
    this.#host = options.host;
    this.#launcher = options.launcher;
    this.#records = options.records;
  }

  start(): void {
    this.#subscription = this.#nats.subscribe(subject(this.#prefix), {
      queue: 'outbound-control',
      callback: (_error, message) => {
        void this.#answer(message.json<ControlRequest>()).then((reply) =>
          message.respond(JSON.stringify(reply)),
        );
      },
    });
  }

  stop(): void {
    this.#subscription?.unsubscribe();
  }

  async #answer(request: ControlRequest): Promise<ControlReply> {
    try {
      if (request.op === 'spawn') {
        const submission = await this.#records.submission(request.submissionId);
        if (!submission) throw new TerminalError(`no submission ${request.submissionId}`);
        return { ok: true, jobIds: await this.#launcher.spawn(submission) };
      }
      if (!(await this.#host.read(request.jobId))) throw new TerminalError(`no fax job ${request.jobId}`);
      await this.#host.send(request.jobId, { type: 'cancel' });
      return { ok: true, jobIds: [request.jobId] };
    } catch (error) {
      return {
        ok: false,
        error: error instanceof Error ? error.message : String(error),
        retryable: isRetryable(error),
      };
    }
  }
}

/** Asks any node to act; throws the node's refusal with its retryable bit. */
export async function requestControl(
  nats: NatsConnection,
  prefix: string,
  request: ControlRequest,
  timeoutMs = 15_000,
): Promise<readonly string[]> {
  const message = await nats.request(subject(prefix), JSON.stringify(request), { timeout: timeoutMs });
  const reply = message.json<ControlReply>();
  if (reply.ok) return reply.jobIds;
  throw reply.retryable ? new RetryableError(reply.error) : new TerminalError(reply.error);
}
