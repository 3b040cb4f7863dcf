// A received fax arrives at a real mail server over STARTTLS as the customer should see it, and
// every refusal is classified so the outbox retries what may succeed and records what never will.
import { afterEach, describe, expect, it } from 'vitest';
import {
  compileFaxEmailTemplates,
  composeFaxEmail,
  DEFAULT_FAX_EMAIL_TEMPLATES,
  SmtpPermanentError,
  SmtpRelay,
  SmtpTemporaryError,
  type ReceivedFaxSummary,
} from '../../../src/email/index.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/index.ts';

const fax: ReceivedFaxSummary = {
  faxId: '01JD7Q4W8X',
  did: '+49305550100',
  caller: '+4940123456',
  remoteStationId: '+49 40 123456',
  pages: 2,
  outcome: 'partial',
  durationMs: 83_000,
  bitRate: 14_400,
  ecm: true,
  result: 'Disconnected after page 2',
  receivedAt: '2026-11-22T10:00:00.000Z',
};
const pdf = Buffer.from('%PDF-1.7\n% two fax pages\n%%EOF\n');
const thumbnail = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

function message(to: string[] = ['fax@acme.example']) {
  return composeFaxEmail({
    fax,
    from: 'faxswitch <fax@faxswitch.example>',
    to,
    templates: compileFaxEmailTemplates(DEFAULT_FAX_EMAIL_TEMPLATES),
    attachments: [{ filename: 'fax-01JD7Q4W8X.pdf', contentType: 'application/pdf', content: pdf }],
    thumbnailPng: thumbnail,
    messageIdDomain: 'faxswitch.example',
  });
}

describe('fax email delivery', () => {
  let sink: SmtpSink | undefined;
  let relay: SmtpRelay | undefined;
  afterEach(async () => {
    relay?.close();
    await sink?.close();
  });

  it('delivers the fax over STARTTLS with its document, summary and a stable Message-ID', async () => {
    sink = await startSmtpSink();
    relay = new SmtpRelay({ url: sink.url, ca: sink.ca });
    const sent = await relay.send(message(['fax@acme.example', 'boss@acme.example']));
    expect(sent.accepted).toEqual(['fax@acme.example', 'boss@acme.example']);

    const [mail] = await sink.waitForMessages(1);
    expect(mail!.secure).toBe(true);
    expect(mail!.envelopeTo).toEqual(['fax@acme.example', 'boss@acme.example']);
    const parsed = mail!.parsed;
    expect(parsed.subject).toBe('Fax from +4940123456 to +49305550100: 2 page(s), partial');
    expect(parsed.messageId).toBe('<fax-01JD7Q4W8X@faxswitch.example>');
    expect(parsed.text).toContain('Pages:       2 (partial)');
    expect(parsed.text).toContain('Duration:    1 min 23 s');
    expect(parsed.headers.get('x-fax-outcome')).toBe('partial');
    const attachment = parsed.attachments.find((a) => a.filename === 'fax-01JD7Q4W8X.pdf');
    expect(attachment?.content).toEqual(pdf);
    const inline = parsed.attachments.find((a) => a.cid === 'page1');
    expect(inline?.content).toEqual(thumbnail);
    expect(parsed.html).toContain('src="cid:page1"');
  });

  it('builds the same Message-ID every time, so a resend is recognisably the same email', () => {
    expect(message().messageId).toBe(message().messageId);
  });

  it('refuses to send in clear when the server offers no STARTTLS, and says it will retry', async () => {
    sink = await startSmtpSink({ starttls: false });
    relay = new SmtpRelay({ url: sink.url, ca: sink.ca });
    const error = await relay.send(message()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SmtpTemporaryError);
    expect(sink.received).toEqual([]);
  });

  it('treats 5xx as permanent and 4xx as temporary, keeping the reply code', async () => {
    let reply = { code: 552, text: 'mailbox full' };
    sink = await startSmtpSink({ refuse: () => reply });
    relay = new SmtpRelay({ url: sink.url, ca: sink.ca });
    const permanent = await relay.send(message()).catch((caught: unknown) => caught);
    expect(permanent).toBeInstanceOf(SmtpPermanentError);
    expect((permanent as SmtpPermanentError).wire.smtp?.code).toBe(552);
    expect((permanent as Error).message).toMatch(/mailbox full/);

    reply = { code: 451, text: 'greylisted, try later' };
    const temporary = await relay.send(message()).catch((caught: unknown) => caught);
    expect(temporary).toBeInstanceOf(SmtpTemporaryError);
    expect((temporary as SmtpTemporaryError).retryable).toBe(true);
    expect((temporary as SmtpTemporaryError).wire.smtp?.code).toBe(451);
  });
});
