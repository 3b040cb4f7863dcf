// The pages a job sends, built the same way for every call and for the report: an optional cover
// page, then the submission's rendered pages, each stamped with the header line a fax machine
// prints ("date  sender  page N of M"). Everything is derived from the submission record (its
// date, not the call's), so a resent page is the same image as the first time and the report's
// PDF is exactly what the far end received. A resumed call sends a continuation cover page and
// then only the pages not yet confirmed; `documentPageOf` maps the engine's page numbers back.
import { TerminalError } from '../../cluster/index.ts';
import type { FaxArchive } from '../archive/index.ts';
import {
  readTiff,
  renderContinuationCoverPage,
  renderCoverPage,
  stampHeaderLine,
  type FaxPage,
  type FaxResolution,
  type PaperSize,
} from '../documents/index.ts';
import { documentObjectId } from './ids.ts';
import type { JobRecord, JobState, OutboundRecords, SubmissionRecord } from './records.ts';

export interface PageLayout {
  readonly resolution: FaxResolution;
  readonly paperSize: PaperSize;
}

/** Every page of the job, in order: what the far end must confirm (pages 1..totalPages). */
export async function jobPages(
  submission: SubmissionRecord,
  job: JobRecord,
  documentPages: readonly FaxPage[],
  layout: PageLayout,
): Promise<FaxPage[]> {
  const date = new Date(submission.receivedAt);
  const pages: FaxPage[] = [];
  if (submission.coverPage) {
    pages.push(
      await renderCoverPage(
        {
          from: `${submission.senderName} <${submission.sender}>`,
          to: job.destination,
          subject: submission.subject,
          pages: job.totalPages,
          date,
        },
        layout,
      ),
    );
  }
  pages.push(...documentPages);
  return Promise.all(
    pages.map((page, index) =>
      stampHeaderLine(page, {
        date,
        from: `${submission.senderName} ${submission.callerId}`.trim(),
        pageNumber: index + 1,
        pageCount: pages.length,
      }),
    ),
  );
}

export interface AttemptPages {
  /** What this call sends, in order. */
  readonly pages: readonly FaxPage[];
  /** The job's page number for the engine's (1-based) page number; undefined for the continuation cover. */
  documentPageOf(enginePage: number): number | undefined;
}

/** The pages of a call that starts at `fromPage`: after a break, a continuation cover page first. */
export async function attemptPages(
  all: readonly FaxPage[],
  fromPage: number,
  about: { readonly job: JobRecord; readonly submission: SubmissionRecord },
  layout: PageLayout,
): Promise<AttemptPages> {
  const remaining = all.slice(fromPage - 1);
  if (fromPage === 1) return { pages: remaining, documentPageOf: (enginePage) => enginePage };
  const cover = await renderContinuationCoverPage(
    {
      job: about.job.jobId,
      from: `${about.submission.senderName} <${about.submission.sender}>`,
      to: about.job.destination,
      firstPage: fromPage,
      lastPage: all.length,
      totalPages: all.length,
      date: new Date(about.submission.receivedAt),
    },
    layout,
  );
  return {
    pages: [cover, ...remaining],
    documentPageOf: (enginePage) => (enginePage === 1 ? undefined : fromPage + enginePage - 2),
  };
}

/** A job with its submission and every page it sends, from Redis and the archive. */
export interface LoadedJob {
  readonly job: JobState;
  readonly submission: SubmissionRecord;
  readonly pages: readonly FaxPage[];
}

/** Loads a job's pages; a TerminalError when the job or its rendered pages are gone. */
export async function loadJob(
  records: OutboundRecords,
  archive: FaxArchive,
  jobId: string,
  layout: PageLayout,
): Promise<LoadedJob> {
  const job = await records.job(jobId);
  const submission = job && (await records.submission(job.submissionId));
  if (!job || !submission) throw new TerminalError(`outbound fax job ${jobId} has no record`);
  const sealed = await archive.get(documentObjectId(submission.submissionId));
  if (!sealed) throw new TerminalError(`the pages of fax job ${jobId} are no longer in the archive`);
  return { job, submission, pages: await jobPages(submission, job, readTiff(sealed), layout) };
}
