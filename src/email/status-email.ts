// The report an Email2Fax sender receives once their fax job is final: the result in the subject,
// what happened (pages that reached the far end out of the total, attempts, the remote station,
// the reason when it failed), page 1 as a thumbnail, and the transmitted document as proof. Its
// Message-ID is derived from the job id, so the outbox can send it again without a second report
// looking new; it answers the sender's original message (In-Reply-To) so it threads with it.
import type Mail from 'nodemailer/lib/mailer/index.js';
import { compileTemplate, type Template } from '../templates/index.ts';
import { formatDuration, stableMessageId } from './message-format.ts';

export interface FaxJobReport {
  readonly jobId: string;
  readonly destination: string;
  readonly result: 'sent' | 'partial' | 'failed' | 'cancelled';
  readonly pagesSent: number;
  readonly totalPages: number;
  readonly attempts: number;
  readonly remoteStationId: string | undefined;
  readonly reason: string | undefined;
  readonly durationMs: number;
  /** ISO 8601 of submission and of the final state. */
  readonly submittedAt: string;
  readonly finishedAt: string;
  readonly originalSubject: string;
  readonly originalMessageId: string | undefined;
}

export const STATUS_EMAIL_FIELDS = [
  'job_id',
  'destination',
  'result',
  'result_text',
  'pages_sent',
  'total_pages',
  'attempts',
  'station_id',
  'reason',
  'duration',
  'submitted_at',
  'finished_at',
  'subject',
] as const;

export const DEFAULT_STATUS_EMAIL_TEMPLATES = {
  subject: 'Fax to {{destination}} {{result_text}}: {{subject}}',
  text: [
    'Your fax to {{destination}} {{result_text}}.',
    '',
    'Pages delivered: {{pages_sent}} of {{total_pages}}',
    'Attempts:        {{attempts}}',
    'Remote station:  {{station_id}}',
    'Submitted:       {{submitted_at}}',
    'Finished:        {{finished_at}}',
    'Call time:       {{duration}}',
    'Details:         {{reason}}',
    'Reference:       {{job_id}}',
    '',
    'The document as it was transmitted is attached.',
  ].join('\n'),
} as const;

const RESULT_TEXT: Record<FaxJobReport['result'], string> = {
  sent: 'was delivered',
  partial: 'was delivered only in part',
  failed: 'could not be delivered',
  cancelled: 'was cancelled',
};

export interface StatusEmailTemplates {
  readonly subject: Template;
  readonly text: Template;
}

export function compileStatusEmailTemplates(sources: {
  subject: string;
  text: string;
}): StatusEmailTemplates {
  const allowedFields = STATUS_EMAIL_FIELDS;
  return {
    subject: compileTemplate(sources.subject, { allowedFields, name: 'status email subject template' }),
    text: compileTemplate(sources.text, { allowedFields, name: 'status email text template' }),
  };
}

export interface StatusEmailInput {
  readonly report: FaxJobReport;
  readonly from: string;
  readonly to: string;
  readonly templates: StatusEmailTemplates;
  /** The rendered document as transmitted (PDF of the fax pages). */
  readonly transmittedPdf?: Buffer;
  readonly thumbnailPng?: Buffer;
  readonly messageIdDomain: string;
}

export function statusMessageId(jobId: string, domain: string): string {
  return stableMessageId('fax-job', jobId, domain);
}

export function composeStatusEmail(input: StatusEmailInput): Mail.Options {
  const { report } = input;
  const values = {
    job_id: report.jobId,
    destination: report.destination,
    result: report.result,
    result_text: RESULT_TEXT[report.result],
    pages_sent: report.pagesSent,
    total_pages: report.totalPages,
    attempts: report.attempts,
    station_id: report.remoteStationId ?? 'not identified',
    reason:
      report.reason ??
      (report.result === 'sent' ? 'all pages confirmed by the receiving machine' : 'unknown'),
    duration: formatDuration(report.durationMs),
    submitted_at: report.submittedAt,
    finished_at: report.finishedAt,
    subject: report.originalSubject || '(no subject)',
  };
  return {
    from: input.from,
    to: input.to,
    subject: input.templates.subject.render(values).replace(/[\r\n]+/g, ' '),
    text: input.templates.text.render(values),
    messageId: statusMessageId(report.jobId, input.messageIdDomain),
    date: new Date(report.finishedAt),
    ...(report.originalMessageId
      ? { inReplyTo: report.originalMessageId, references: [report.originalMessageId] }
      : {}),
    headers: {
      'X-Fax-Job': report.jobId,
      'X-Fax-Result': report.result,
      'X-Fax-Pages': `${report.pagesSent}/${report.totalPages}`,
      // Automated report: auto-responders must not answer it (RFC 3834).
      'Auto-Submitted': 'auto-generated',
    },
    attachments: [
      ...(input.transmittedPdf
        ? [
            {
              filename: `fax-${report.jobId}.pdf`,
              contentType: 'application/pdf',
              content: input.transmittedPdf,
            },
          ]
        : []),
      ...(input.thumbnailPng
        ? [{ filename: 'page1.png', contentType: 'image/png', content: input.thumbnailPng, cid: 'page1' }]
        : []),
    ],
  };
}
