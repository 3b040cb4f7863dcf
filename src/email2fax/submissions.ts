// From an accepted message to durable outbound fax jobs. `preflight` renders the body and every
// attachment in order (in the renderer's child processes, with its limits) and refuses the message
// with the renderer's own words naming the attachment that failed; `store` seals the rendered pages
// once per submission in the archive and writes the submission and its jobs to Redis; `spawn`
// creates one outbound-fax-job actor per recipient. Ids come from the Message-ID, so the same
// message sent again stores and spawns nothing new.
import type { RetryPolicy } from '../../actors/index.ts';
import { RetryableError, type ActorHost } from '../../cluster/index.ts';
import type { Account } from '../accounts/index.ts';
import type { FaxArchive } from '../archive/index.ts';
import {
  DEFAULT_RENDER_LIMITS,
  TooManyPagesError,
  writeTiff,
  type FaxPage,
  type RenderDocumentOptions,
  type RenderedDocument,
} from '../documents/index.ts';
import type { FaxDocument, FaxSubmission, Preflight, SubmitResult } from '../email/index.ts';
import { documentObjectId, jobIdOf, submissionIdOf } from './ids.ts';
import type { PageLayout } from './pages.ts';
import type { JobRecord, OutboundRecords, SubmissionRecord } from './records.ts';

export const OUTBOUND_FAX_JOB = 'outbound-fax-job';

/** The renderer's one method this module needs (src/documents' DocumentRenderer). */
export interface PageRenderer {
  render(bytes: Uint8Array, options: RenderDocumentOptions): Promise<RenderedDocument>;
}

export interface PreparedFax extends Preflight {
  /** Pages each job sends: the cover page (if the account has one) and the rendered pages. */
  readonly pages: number;
  readonly documentPages: readonly FaxPage[];
  readonly account: Account;
}

export interface SubmissionSettings {
  readonly layout: PageLayout;
  /** Pages of one fax, all documents together (Telnyx: 350). */
  readonly maxPages: number;
  /** The calling number and TSI when the account names none. */
  readonly defaultCallerId: string;
}

export class FaxSubmissions {
  readonly #renderer: PageRenderer;
  readonly #records: OutboundRecords;
  readonly #archive: FaxArchive;
  readonly #settings: SubmissionSettings;

  constructor(options: {
    renderer: PageRenderer;
    records: OutboundRecords;
    archive: FaxArchive;
    settings: SubmissionSettings;
  }) {
    this.#renderer = options.renderer;
    this.#records = options.records;
    this.#archive = options.archive;
    this.#settings = options.settings;
  }

  /** Renders every document in order; a refusal names the document and says why. */
  async preflight(documents: readonly FaxDocument[], account: Account): Promise<PreparedFax> {
    const { layout, maxPages } = this.#settings;
    const documentPages: FaxPage[] = [];
    for (const document of documents) {
      const rendered = await this.#renderer.render(document.content, {
        name: document.name,
        resolution: layout.resolution,
        paperSize: layout.paperSize,
        limits: { maxPages: Math.min(maxPages, DEFAULT_RENDER_LIMITS.maxPages) },
      });
      documentPages.push(...rendered.pages);
      if (documentPages.length > maxPages)
        throw new TooManyPagesError(`the message (with ${document.name})`, documentPages.length, maxPages);
    }
    const cover = account.coverPage === true ? 1 : 0;
    return { pages: documentPages.length + cover, documentPages, account };
  }

  /**
   * Seals the pages and writes the submission with its jobs; the same message again finds its
   * submission and changes nothing. `alreadyAccepted` when its jobs were spawned before.
   */
  async store(
    submission: FaxSubmission,
    prepared: PreparedFax,
    options: { reportBySender?: boolean } = {},
  ): Promise<{ record: SubmissionRecord; alreadyAccepted: boolean }> {
    const submissionId = submissionIdOf(submission.accountId, submission.messageId);
    const existing = await this.#records.submission(submissionId);
    if (existing) return { record: existing, alreadyAccepted: await this.#records.isSpawned(submissionId) };
    // Nothing names the document until the submission record exists: overwriting a crashed
    // attempt's object is safe.
    await this.#archive.put(
      documentObjectId(submissionId),
      Buffer.from(writeTiff([...prepared.documentPages], { compression: 'g4' })),
    );
    const destinations = [...new Set(submission.recipients)];
    const jobs: JobRecord[] = destinations.map((destination) => ({
      jobId: jobIdOf(submissionId, destination),
      submissionId,
      destination,
      totalPages: prepared.pages,
    }));
    const { record } = await this.#records.createSubmission(
      {
        submissionId,
        accountId: submission.accountId,
        sender: submission.sender,
        subject: submission.subject,
        messageId: submission.messageId,
        receivedAt: submission.receivedAtMs,
        destinations,
        jobIds: jobs.map((job) => job.jobId),
        documentPages: prepared.documentPages.length,
        coverPage: prepared.account.coverPage === true,
        callerId: prepared.account.callerId ?? this.#settings.defaultCallerId,
        senderName: prepared.account.name,
        ...(options.reportBySender === false ? { reportBySender: false } : {}),
      },
      jobs,
    );
    return { record, alreadyAccepted: false };
  }
}

export interface JobLauncherOptions {
  readonly host: Pick<ActorHost, 'spawn'>;
  readonly records: OutboundRecords;
  readonly policy: RetryPolicy;
  /** False while this node has no trunk to dial through: new jobs are refused (451), not stranded. */
  readonly canDial: () => boolean;
  readonly clock?: () => number;
}

/** Creates the actors of a stored submission, one per recipient; idempotent. */
export class JobLauncher {
  readonly #options: JobLauncherOptions;

  constructor(options: JobLauncherOptions) {
    this.#options = options;
  }

  async spawn(submission: SubmissionRecord): Promise<readonly string[]> {
    const { host, records, policy } = this.#options;
    this.assertCanDial();
    const jobs = await records.jobs(submission.jobIds);
    for (const job of jobs) {
      await host.spawn(OUTBOUND_FAX_JOB, job.jobId, {
        jobId: job.jobId,
        destination: job.destination,
        totalPages: job.totalPages,
        submittedAt: submission.receivedAt,
        policy,
      });
    }
    await records.markSpawned(submission.submissionId, (this.#options.clock ?? Date.now)());
    return submission.jobIds;
  }

  /** Throws the 451 refusal while this node has no trunk: asked before anything is stored. */
  assertCanDial(): void {
    if (!this.#options.canDial()) {
      throw new RetryableError('no SIP trunk is configured for outbound faxes (FAXSWITCH_SIP_TRUNKS)', {
        wire: { smtp: { code: 451, enhanced: '4.3.5' }, http: 503 },
      });
    }
  }

  /** The intake's `submit` port: store, then spawn; resolves once every job is durable. */
  submitThrough(
    submissions: FaxSubmissions,
  ): (submission: FaxSubmission, prepared: PreparedFax) => Promise<SubmitResult> {
    return async (submission, prepared) => {
      this.assertCanDial(); // before anything is stored: the client keeps the message
      const { record, alreadyAccepted } = await submissions.store(submission, prepared);
      const jobIds = await this.spawn(record);
      return { jobIds, alreadyAccepted };
    };
  }
}
