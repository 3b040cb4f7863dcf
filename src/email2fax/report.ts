// The end of a job: its final result is recorded and its sender gets one report email. The job's
// reportStatus effect writes the result and spawns the report's own actor — the fax email delivery
// machine under the name `fax-job-report`, so the report has the same outbox as Fax2Email's emails:
// durable retries of temporary refusals (minutes to days, not the host's seconds), a Message-ID
// derived from the job id, and the mail server's acceptance recorded the moment it arrives (a
// repeated send answers from the record). Its effects here: `buildDocuments` seals the proof (a PDF
// of the pages the far end confirmed, as transmitted) and page 1 as a thumbnail, then lets go of
// the submission's pages; `sendFaxEmail` sends; `recordResult` notes it; `deleteContent` removes the proof.
import type { ReportParams } from '../../actors/index.ts';
import { TerminalError, type ActorHost } from '../../cluster/index.ts';
import type { FaxArchive } from '../archive/index.ts';
import { renderPreviewPng, writePdf } from '../documents/index.ts';
import {
  composeStatusEmail,
  sendOnce,
  type MailReceipts,
  type FaxJobReport,
  type SmtpRelay,
  type StatusEmailTemplates,
} from '../email/index.ts';
import type { Logger } from '../observability/index.ts';
import { documentObjectId, proofObjectId, reportActorId } from './ids.ts';
import type { OutboundMetrics } from './outbound-metrics.ts';
import { loadJob, type PageLayout } from './pages.ts';
import type { OutboundRecords } from './records.ts';
import { OUTBOUND_FAX_JOB } from './submissions.ts';

export const JOB_REPORT = 'fax-job-report';

export interface ReportOptions {
  readonly host: ActorHost;
  readonly records: OutboundRecords;
  readonly archive: FaxArchive;
  /** Where the mail server's receipt of each report is kept (one report per job). */
  readonly receipts: MailReceipts;
  /** Undefined until a relay is configured: reports wait (retried) rather than being dropped. */
  readonly relay: SmtpRelay | undefined;
  readonly templates: StatusEmailTemplates;
  readonly from: string;
  /** Domain of the deterministic Message-IDs. */
  readonly messageIdDomain: string;
  readonly layout: PageLayout;
  readonly metrics: OutboundMetrics;
  readonly logger: Logger;
  readonly clock?: () => number;
}

export function registerReportEffects(options: ReportOptions): void {
  const { host, records, archive, metrics, logger } = options;
  const clock = options.clock ?? Date.now;

  host.registerEffect(OUTBOUND_FAX_JOB, 'reportStatus', async ({ params }) => {
    const report = params as ReportParams;
    const first = await records.recordFinal(report.jobId, { ...report, finishedAt: clock() });
    if (first) {
      metrics.jobs.inc({ result: report.result });
      logger.info(
        { jobId: report.jobId, result: report.result, pages: report.pagesConfirmed, dials: report.dials },
        'outbound fax job finished',
      );
    }
    const job = await records.job(report.jobId);
    const submission = job && (await records.submission(job.submissionId));
    if (submission?.reportBySender === false) {
      // Reported by whoever sent it (a campaign): no email; the pages go once no job needs them.
      if (await records.releaseDocument(submission.submissionId, report.jobId))
        await archive.delete(documentObjectId(submission.submissionId));
      return null;
    }
    await host.spawn(JOB_REPORT, reportActorId(report.jobId), {
      faxId: report.jobId,
      handedOverAt: clock(),
      deleteAfterDelivery: true,
    });
    return null;
  });

  // The report machine is the fax email delivery machine: its `faxId` is the job id here.
  host.registerEffect(JOB_REPORT, 'buildDocuments', async ({ params }) => {
    const { faxId: jobId } = params as { faxId: string };
    const job = await records.job(jobId);
    if (!job) throw new TerminalError(`fax job ${jobId} has no record`);
    // Built before a takeover if its thumbnail (written last) is there.
    if (!(await archive.get(proofObjectId(jobId, 'png')))) await buildProof(options, jobId);
    // The job no longer needs its submission's pages; the last job of the submission deletes them.
    if (await records.releaseDocument(job.submissionId, jobId))
      await archive.delete(documentObjectId(job.submissionId));
    return null;
  });

  host.registerEffect(JOB_REPORT, 'sendFaxEmail', async ({ params }) => {
    const { faxId: jobId } = params as { faxId: string };
    const outcome = await sendOnce({
      relay: options.relay,
      receipt: options.receipts.slot(`fax-job-report:${jobId}`),
      now: clock,
      compose: () => composeReport(options, jobId),
      onAccepted: (sent) => {
        metrics.reports.inc({ result: 'accepted' });
        logger.info({ jobId, messageId: sent.messageId }, 'fax job report accepted by the mail server');
      },
    });
    if (outcome.kind !== 'accepted') {
      metrics.reports.inc({ result: outcome.kind });
      logger.warn(
        { jobId, reply: outcome.reply },
        outcome.kind === 'temporary' ? 'fax job report deferred; will retry' : 'fax job report refused',
      );
    }
    return outcome;
  });

  host.registerEffect(JOB_REPORT, 'recordResult', async ({ params }) => {
    const {
      faxId: jobId,
      result,
      reply,
    } = params as {
      faxId: string;
      result: 'delivered' | 'failed';
      reply: string | undefined;
    };
    await records.recordReport(jobId, { result, reply, at: clock() });
    return null;
  });

  host.registerEffect(JOB_REPORT, 'deleteContent', async ({ params }) => {
    const { faxId: jobId } = params as { faxId: string };
    await archive.delete(proofObjectId(jobId, 'pdf'));
    await archive.delete(proofObjectId(jobId, 'png'));
    return null;
  });
}

/** The proof (a PDF of the pages the far end confirmed) and page 1 as a thumbnail, sealed. */
async function buildProof(options: ReportOptions, jobId: string): Promise<void> {
  const { records, archive, logger } = options;
  let loaded;
  try {
    loaded = await loadJob(records, archive, jobId, options.layout);
  } catch (error) {
    if (!(error instanceof TerminalError)) throw error;
    // The pages are gone (retention): the report still tells what happened, without the proof.
    logger.warn({ jobId, err: error }, 'report without the transmitted pages');
    return;
  }
  const { job, submission, pages } = loaded;
  const confirmed = pages.slice(0, job.final?.pagesConfirmed ?? 0);
  if (confirmed.length > 0) {
    const pdf = await writePdf(confirmed, {
      title: `Fax to ${job.destination}`,
      date: new Date(submission.receivedAt),
    });
    await archive.put(proofObjectId(jobId, 'pdf'), Buffer.from(pdf));
  }
  // Written last: its presence says the proof is complete.
  if (pages[0]) await archive.put(proofObjectId(jobId, 'png'), await renderPreviewPng(pages[0]));
}

async function composeReport(options: ReportOptions, jobId: string) {
  const { records, archive } = options;
  const job = await records.job(jobId);
  const submission = job && (await records.submission(job.submissionId));
  if (!job?.final || !submission) throw new TerminalError(`fax job ${jobId} has no final result to report`);
  const attempts = await records.attempts(jobId);
  const report: FaxJobReport = {
    jobId,
    destination: job.destination,
    result: job.final.result,
    pagesSent: job.final.pagesConfirmed,
    totalPages: job.final.totalPages,
    attempts: job.final.dials,
    remoteStationId: job.final.remoteStationId,
    reason: job.final.reason,
    durationMs: attempts.reduce((sum, attempt) => sum + attempt.connectedMs, 0),
    submittedAt: new Date(submission.receivedAt).toISOString(),
    finishedAt: new Date(job.final.finishedAt).toISOString(),
    originalSubject: submission.subject,
    originalMessageId: submission.messageId,
  };
  const [pdf, png] = await Promise.all([
    archive.get(proofObjectId(jobId, 'pdf')),
    archive.get(proofObjectId(jobId, 'png')),
  ]);
  return composeStatusEmail({
    report,
    from: options.from,
    to: submission.sender,
    templates: options.templates,
    ...(pdf ? { transmittedPdf: pdf } : {}),
    ...(png ? { thumbnailPng: png } : {}),
    messageIdDomain: options.messageIdDomain,
  });
}
