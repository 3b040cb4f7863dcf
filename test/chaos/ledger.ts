// The chaos oracle: an HTTP service the nodes do not control, playing the SIP edge and the remote
// fax machine. It refuses any delivery carrying an epoch older than the newest it has seen for the
// job (as the edge refuses stale `X-Fax-Job` epochs), answers a repeated attempt id with the outcome
// it recorded (the edge's record of a call) instead of delivering again, and counts confirmed
// deliveries per job: more than one confirmed attempt for a job is a duplicate fax.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface DeliveryRequest {
  readonly job: string;
  /** The effect's idempotency key: one attempt. */
  readonly key: string;
  readonly epoch: number;
}

interface JobRecord {
  maxEpoch: number;
  readonly confirmed: Set<string>;
  readonly calls: Map<string, Promise<string>>;
}

export interface LedgerStats {
  readonly confirmedJobs: number;
  readonly duplicates: number;
  readonly staleRefusals: number;
  readonly repeatedAttempts: number;
}

export class Ledger {
  readonly #jobs = new Map<string, JobRecord>();
  readonly #callMs: () => number;
  #server: Server | undefined;
  #staleRefusals = 0;
  #repeatedAttempts = 0;

  /** `callMs` is how long a delivery takes (the call to the fax machine). */
  constructor(callMs: () => number) {
    this.#callMs = callMs;
  }

  async listen(): Promise<string> {
    const server = createServer((request, response) => void this.#handle(request, response));
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('ledger has no address');
    return `http://127.0.0.1:${address.port}`;
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise((resolve) => this.#server?.close(resolve));
  }

  confirmedCount(job: string): number {
    return this.#jobs.get(job)?.confirmed.size ?? 0;
  }

  stats(): LedgerStats {
    let confirmedJobs = 0;
    let duplicates = 0;
    for (const record of this.#jobs.values()) {
      if (record.confirmed.size > 0) confirmedJobs += 1;
      duplicates += Math.max(0, record.confirmed.size - 1);
    }
    return {
      confirmedJobs,
      duplicates,
      staleRefusals: this.#staleRefusals,
      repeatedAttempts: this.#repeatedAttempts,
    };
  }

  /** 200 with a receipt, or 409 when the caller's epoch is stale. */
  async deliver(request: DeliveryRequest): Promise<{ status: number; receipt?: string }> {
    let record = this.#jobs.get(request.job);
    if (!record) {
      record = { maxEpoch: 0, confirmed: new Set(), calls: new Map() };
      this.#jobs.set(request.job, record);
    }
    if (request.epoch < record.maxEpoch) {
      this.#staleRefusals += 1;
      return { status: 409 };
    }
    record.maxEpoch = request.epoch;
    const existing = record.calls.get(request.key);
    if (existing) {
      this.#repeatedAttempts += 1;
      return { status: 200, receipt: await existing };
    }
    const jobRecord = record;
    const call = new Promise<string>((resolve) =>
      setTimeout(() => {
        jobRecord.confirmed.add(request.key);
        resolve(`receipt:${request.key}`);
      }, this.#callMs()),
    );
    record.calls.set(request.key, call);
    return { status: 200, receipt: await call };
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    let status = 400;
    let body: unknown = { error: 'bad request' };
    try {
      const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as DeliveryRequest;
      if (
        request.url === '/deliver' &&
        typeof parsed.job === 'string' &&
        typeof parsed.key === 'string' &&
        Number.isFinite(parsed.epoch)
      ) {
        const result = await this.deliver(parsed);
        status = result.status;
        body = result.status === 200 ? { receipt: result.receipt } : { error: 'stale epoch' };
      }
    } catch {
      // a malformed request keeps the 400
    }
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }
}
