// What Email2Fax keeps in Redis, apart from the actors: each submission (who sent what, when, to
// whom; its rendered pages live sealed in the archive, never here), each job's final result and
// call attempts, the durable result of every call execution (which the job's placeCall effect
// waits for, wherever the call ran). Indexed by time for
// `faxswitch outbound list`.
import type { Redis } from 'ioredis';
import type { CallOutcome, JobResult } from '../../actors/index.ts';

export interface SubmissionRecord {
  readonly submissionId: string;
  readonly accountId: string;
  /** Who the report goes to: the login (submission port) or the verified From (MX port). */
  readonly sender: string;
  readonly subject: string;
  readonly messageId: string;
  readonly receivedAt: number;
  /** Destinations in E.164, in the order the message named them. */
  readonly destinations: readonly string[];
  readonly jobIds: readonly string[];
  /** Pages rendered from the message (body and attachments), without the cover page. */
  readonly documentPages: number;
  readonly coverPage: boolean;
  /** The calling number and TSI the far end sees. */
  readonly callerId: string;
  /** Who the fax is from on the cover page and in every page's header line. */
  readonly senderName: string;
  /**
   * Whether each job ends in a report email to the sender. Off for faxes a service sends on its
   * own behalf and reports itself (a campaign's letters: its owner gets one report for all).
   */
  readonly reportBySender?: boolean;
}

export interface JobFinal {
  readonly result: JobResult;
  readonly pagesConfirmed: number;
  readonly totalPages: number;
  readonly dials: number;
  readonly remoteStationId: string | undefined;
  readonly reason: string | undefined;
  readonly finishedAt: number;
}

/** One call an executor placed for a job. */
export interface CallAttempt {
  readonly attempt: number;
  readonly epoch: number;
  readonly trunk: string;
  readonly node: string;
  readonly fromPage: number;
  readonly transport: 't38' | 'audio' | undefined;
  readonly startedAt: number;
  /** From answer to hang-up; 0 when the call was not answered. */
  readonly connectedMs: number;
  readonly outcome: CallOutcome;
}

/** How a call execution ended, kept for the placeCall effect that asked for it. */
export interface CallResult {
  readonly outcome: CallOutcome;
  /** Document pages the far end confirmed in this call, in order. */
  readonly confirmedPages: readonly number[];
  readonly remoteStationId: string | undefined;
  /** The carrier failed (5xx, no response): the next trunk may do better. */
  readonly trunkFailed: boolean;
}

export interface ReportDelivery {
  readonly result: 'delivered' | 'failed';
  readonly reply: string | undefined;
  readonly at: number;
}

export interface JobRecord {
  readonly jobId: string;
  readonly submissionId: string;
  readonly destination: string;
  /** Pages the far end must confirm: the cover page (if any) and the document pages. */
  readonly totalPages: number;
}

/** A job's record with what happened to it so far. */
export interface JobState extends JobRecord {
  readonly final: JobFinal | undefined;
  readonly report: ReportDelivery | undefined;
}

export class OutboundRecords {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, options: { namespace?: string } = {}) {
    this.#redis = redis;
    this.#prefix = `${options.namespace ?? 'faxswitch'}:outbound`;
  }

  #submissionKey(id: string): string {
    return `${this.#prefix}:submission:${id}`;
  }
  #openJobsKey(submissionId: string): string {
    return `${this.#prefix}:submission:${submissionId}:open`;
  }
  #jobKey(id: string): string {
    return `${this.#prefix}:job:${id}`;
  }
  #finalKey(jobId: string): string {
    return `${this.#prefix}:job:${jobId}:final`;
  }
  #reportKey(jobId: string): string {
    return `${this.#prefix}:job:${jobId}:report`;
  }
  #attemptsKey(jobId: string): string {
    return `${this.#prefix}:job:${jobId}:calls`;
  }
  #callKey(effectKey: string, trunk: string): string {
    return `${this.#prefix}:call:${effectKey}:${trunk}`;
  }
  get #byTime(): string {
    return `${this.#prefix}:by-time`;
  }

  /**
   * Stores a new submission after its jobs (the submission record is written last, so once it
   * exists everything it names exists); an existing submission (the same message again) is
   * returned untouched. `created` tells which happened.
   */
  async createSubmission(
    submission: SubmissionRecord,
    jobs: readonly JobRecord[],
  ): Promise<{ record: SubmissionRecord; created: boolean }> {
    const multi = this.#redis.multi();
    for (const job of jobs) {
      multi.set(this.#jobKey(job.jobId), JSON.stringify(job));
      multi.zadd(this.#byTime, submission.receivedAt, job.jobId);
      multi.sadd(this.#openJobsKey(submission.submissionId), job.jobId);
    }
    multi.set(this.#submissionKey(submission.submissionId), JSON.stringify(submission), 'NX');
    const replies = await multi.exec();
    if (replies?.at(-1)?.[1] === 'OK') return { record: submission, created: true };
    return { record: (await this.submission(submission.submissionId)) ?? submission, created: false };
  }

  /** Every job of the submission is spawned: a repeat of the message is from now on a no-op. */
  async markSpawned(submissionId: string, at: number): Promise<void> {
    await this.#redis.set(`${this.#submissionKey(submissionId)}:spawned`, String(at), 'NX');
  }

  async isSpawned(submissionId: string): Promise<boolean> {
    return (await this.#redis.exists(`${this.#submissionKey(submissionId)}:spawned`)) === 1;
  }

  async submission(id: string): Promise<SubmissionRecord | undefined> {
    return this.#get<SubmissionRecord>(this.#submissionKey(id));
  }

  async job(id: string): Promise<JobState | undefined> {
    return (await this.jobs([id]))[0];
  }

  async jobs(ids: readonly string[]): Promise<JobState[]> {
    if (ids.length === 0) return [];
    const keys = ids.flatMap((id) => [this.#jobKey(id), this.#finalKey(id), this.#reportKey(id)]);
    const values = await this.#redis.mget(keys);
    const parse = <T>(value: string | null | undefined): T | undefined =>
      value === null || value === undefined ? undefined : (JSON.parse(value) as T);
    return ids.flatMap((_, index) => {
      const job = parse<JobRecord>(values[index * 3]);
      if (!job) return [];
      return [
        {
          ...job,
          final: parse<JobFinal>(values[index * 3 + 1]),
          report: parse<ReportDelivery>(values[index * 3 + 2]),
        },
      ];
    });
  }

  /** The job's final result; the first one written stays (a repeated report changes nothing).
   * True when this was the first. */
  async recordFinal(jobId: string, final: JobFinal): Promise<boolean> {
    return (await this.#redis.set(this.#finalKey(jobId), JSON.stringify(final), 'NX')) === 'OK';
  }

  async recordReport(jobId: string, report: ReportDelivery): Promise<void> {
    await this.#redis.set(this.#reportKey(jobId), JSON.stringify(report), 'NX');
  }

  /**
   * The job no longer needs its submission's rendered pages; true when no job of the submission
   * does any more (the caller then deletes them).
   */
  async releaseDocument(submissionId: string, jobId: string): Promise<boolean> {
    const key = this.#openJobsKey(submissionId);
    const [, remaining] = (await this.#redis.multi().srem(key, jobId).scard(key).exec()) ?? [];
    return Number(remaining?.[1]) === 0;
  }

  /** The newest jobs first, at most `limit`. */
  async recentJobs(limit: number): Promise<JobState[]> {
    return this.jobs(await this.#redis.zrevrange(this.#byTime, 0, limit - 1));
  }

  /** A call execution ended: its result for the waiting effect and its attempt for the record, at once. */
  async recordCall(
    jobId: string,
    effectKey: string,
    result: CallResult,
    attempt: CallAttempt,
  ): Promise<void> {
    await this.#redis
      .multi()
      .set(this.#callKey(effectKey, attempt.trunk), JSON.stringify(result))
      .rpush(this.#attemptsKey(jobId), JSON.stringify(attempt))
      .exec();
  }

  async callResult(effectKey: string, trunk: string): Promise<CallResult | undefined> {
    return this.#get<CallResult>(this.#callKey(effectKey, trunk));
  }

  async attempts(jobId: string): Promise<CallAttempt[]> {
    const entries = await this.#redis.lrange(this.#attemptsKey(jobId), 0, -1);
    return entries.map((entry) => JSON.parse(entry) as CallAttempt);
  }

  async #get<T>(key: string): Promise<T | undefined> {
    const stored = await this.#redis.get(key);
    return stored === null ? undefined : (JSON.parse(stored) as T);
  }
}
