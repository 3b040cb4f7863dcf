// The email a customer receives for an inbound fax: subject and bodies from templates (configurable
// per deployment), the document attached as PDF and/or TIFF, a thumbnail of page 1 inline, and a
// Message-ID derived from the fax id so that any resend of the same fax is recognisably the same
// message.
import type Mail from 'nodemailer/lib/mailer/index.js';
import { compileTemplate, type Template } from '../templates/index.ts';
import { formatDuration, stableMessageId } from './message-format.ts';

/** What the email says about the fax. */
export interface ReceivedFaxSummary {
  readonly faxId: string;
  readonly did: string;
  readonly caller: string;
  readonly remoteStationId: string;
  readonly pages: number;
  /** complete: every page arrived; partial: the call ended early, these pages arrived; failed: none did. */
  readonly outcome: 'complete' | 'partial' | 'failed';
  readonly durationMs: number;
  readonly bitRate: number;
  readonly ecm: boolean;
  /** The fax engine's words for how the call ended, e.g. "OK" or "Disconnected after page 2". */
  readonly result: string;
  /** ISO 8601 */
  readonly receivedAt: string;
}

export interface FaxEmailAttachment {
  readonly filename: string;
  readonly contentType: 'application/pdf' | 'image/tiff';
  readonly content: Buffer;
}

export const FAX_EMAIL_FIELDS = [
  'fax_id',
  'did',
  'caller',
  'station_id',
  'pages',
  'outcome',
  'duration',
  'bit_rate',
  'ecm',
  'result',
  'received_at',
] as const;

export interface FaxEmailTemplates {
  readonly subject: Template;
  readonly text: Template;
  readonly html: Template;
}

export const DEFAULT_FAX_EMAIL_TEMPLATES = {
  subject: 'Fax from {{caller}} to {{did}}: {{pages}} page(s), {{outcome}}',
  text: [
    'You have received a fax.',
    '',
    'From:        {{caller}} (station id "{{station_id}}")',
    'To:          {{did}}',
    'Pages:       {{pages}} ({{outcome}})',
    'Received:    {{received_at}}',
    'Duration:    {{duration}}',
    'Connection:  {{bit_rate}} bit/s, error correction {{ecm}}',
    'Result:      {{result}}',
    'Reference:   {{fax_id}}',
  ].join('\n'),
  html: [
    '<p>You have received a fax.</p>',
    '<table>',
    '<tr><td>From</td><td>{{caller}} (station id &ldquo;{{station_id}}&rdquo;)</td></tr>',
    '<tr><td>To</td><td>{{did}}</td></tr>',
    '<tr><td>Pages</td><td>{{pages}} ({{outcome}})</td></tr>',
    '<tr><td>Received</td><td>{{received_at}}</td></tr>',
    '<tr><td>Duration</td><td>{{duration}}</td></tr>',
    '<tr><td>Connection</td><td>{{bit_rate}} bit/s, error correction {{ecm}}</td></tr>',
    '<tr><td>Result</td><td>{{result}}</td></tr>',
    '<tr><td>Reference</td><td>{{fax_id}}</td></tr>',
    '</table>',
    '<p><img src="cid:page1" alt="Page 1 of the fax" width="300"></p>',
  ].join('\n'),
} as const;

/** Compiles and checks the templates once, at start. */
export function compileFaxEmailTemplates(sources: {
  subject: string;
  text: string;
  html: string;
}): FaxEmailTemplates {
  const allowedFields = FAX_EMAIL_FIELDS;
  return {
    subject: compileTemplate(sources.subject, { allowedFields, name: 'fax email subject template' }),
    text: compileTemplate(sources.text, { allowedFields, name: 'fax email text template' }),
    html: compileTemplate(sources.html, { allowedFields, html: true, name: 'fax email HTML template' }),
  };
}

/** A Message-ID that is the same every time this fax's email is built. */
export function faxMessageId(faxId: string, domain: string): string {
  return stableMessageId('fax', faxId, domain);
}

export interface FaxEmailInput {
  readonly fax: ReceivedFaxSummary;
  readonly from: string;
  readonly to: readonly string[];
  readonly templates: FaxEmailTemplates;
  readonly attachments: readonly FaxEmailAttachment[];
  /** PNG of page 1, shown inline. */
  readonly thumbnailPng?: Buffer;
  /** Domain of the Message-ID: the fax domain of this deployment. */
  readonly messageIdDomain: string;
}

export function composeFaxEmail(input: FaxEmailInput): Mail.Options {
  const { fax } = input;
  const values = {
    fax_id: fax.faxId,
    did: fax.did,
    caller: fax.caller || 'unknown caller',
    station_id: fax.remoteStationId,
    pages: fax.pages,
    outcome: fax.outcome,
    duration: formatDuration(fax.durationMs),
    bit_rate: fax.bitRate,
    ecm: fax.ecm ? 'on' : 'off',
    result: fax.result,
    received_at: fax.receivedAt,
  };
  return {
    from: input.from,
    to: [...input.to],
    subject: input.templates.subject.render(values).replace(/[\r\n]+/g, ' '),
    text: input.templates.text.render(values),
    html: input.templates.html.render(values),
    messageId: faxMessageId(fax.faxId, input.messageIdDomain),
    date: new Date(fax.receivedAt),
    headers: { 'X-Fax-Id': fax.faxId, 'X-Fax-Pages': String(fax.pages), 'X-Fax-Outcome': fax.outcome },
    attachments: [
      ...input.attachments.map((attachment) => ({
        filename: attachment.filename,
        contentType: attachment.contentType,
        content: attachment.content,
      })),
      ...(input.thumbnailPng
        ? [{ filename: 'page1.png', contentType: 'image/png', content: input.thumbnailPng, cid: 'page1' }]
        : []),
    ],
  };
}
