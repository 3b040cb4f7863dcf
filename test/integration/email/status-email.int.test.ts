// The Email2Fax sender's report, as their mail client receives it through a real SMTP server.
import { afterEach, describe, expect, it } from 'vitest';
import {
  compileStatusEmailTemplates,
  composeStatusEmail,
  DEFAULT_STATUS_EMAIL_TEMPLATES,
  SmtpRelay,
  type FaxJobReport,
} from '../../../src/email/index.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/index.ts';

const report: FaxJobReport = {
  jobId: 'J-42',
  destination: '+49301234567',
  result: 'partial',
  pagesSent: 2,
  totalPages: 5,
  attempts: 3,
  remoteStationId: '+49 30 1234567',
  reason: 'T.30 DCN after page 2; gave up after 3 tries',
  durationMs: 185_000,
  submittedAt: '2026-11-22T09:00:00.000Z',
  finishedAt: '2026-11-22T09:20:00.000Z',
  originalSubject: 'Invoice 4711',
  originalMessageId: '<abc@acme.example>',
};

describe('status email', () => {
  let sink: SmtpSink | undefined;
  afterEach(async () => sink?.close());

  it('tells the sender what happened, threads with their message and carries the transmitted document', async () => {
    sink = await startSmtpSink();
    const relay = new SmtpRelay({ url: sink.url, ca: sink.ca });
    const pdf = Buffer.from('%PDF-1.7 transmitted');
    await relay.send(
      composeStatusEmail({
        report,
        from: 'faxswitch <fax@faxswitch.example>',
        to: 'alice@acme.example',
        templates: compileStatusEmailTemplates(DEFAULT_STATUS_EMAIL_TEMPLATES),
        transmittedPdf: pdf,
        thumbnailPng: Buffer.from('89504e47', 'hex'),
        messageIdDomain: 'faxswitch.example',
      }),
    );
    relay.close();
    const [mail] = await sink.waitForMessages(1);
    const parsed = mail!.parsed;
    expect(parsed.subject).toBe('Fax to +49301234567 was delivered only in part: Invoice 4711');
    expect(parsed.text).toContain('Pages delivered: 2 of 5');
    expect(parsed.text).toContain('Attempts:        3');
    expect(parsed.text).toContain('Details:         T.30 DCN after page 2; gave up after 3 tries');
    expect(parsed.messageId).toBe('<fax-job-J-42@faxswitch.example>');
    expect(parsed.inReplyTo).toBe('<abc@acme.example>');
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(parsed.attachments.find((a) => a.filename === 'fax-J-42.pdf')?.content).toEqual(pdf);
  });

  it('refuses a template with a field it does not know, before any fax is sent', () => {
    expect(() => compileStatusEmailTemplates({ subject: 'Fax {{resutl}}', text: '' })).toThrow(
      /status email subject template uses unknown field \{\{resutl\}\}/,
    );
  });
});
