// Email2Fax end to end: a `faxswitch start` node (real Redis, NATS, embedded SIP server, SpanDSP)
// whose trunk points at a far end that plays the carrier and the receiving fax machines (a
// FaxStation: SpanDSP behind its own SIP stack), a real SMTP server over STARTTLS as the mail relay
// for report emails, and real mail clients: nodemailer (AUTH over STARTTLS on the submission port;
// DKIM-signed mail to the MX port) and swaks (a spoofed sender on the MX port). Accounts are made
// with the `faxswitch account` commands. What is checked is what people see: the SMTP replies, the
// pages the far end received (pixel for pixel against the report's proof and against the
// attachment rendered on its own), the report emails, `faxswitch outbound list|show`.
// The one thing played is DNS (SPF/DKIM/DMARC records): public DNS is the boundary these tests
// cannot run, so the node asks a DNS server of the test's over UDP (FAXSWITCH_DNS_SERVERS).
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentRenderer, bitmapsEqual } from '../../../src/documents/index.ts';
import { startDnsServer, type TestDnsServer } from '../../helpers/dns-server.ts';
import { FarEnd } from '../../helpers/far-end.ts';
import { equalBelow, faxPdf, HEADER_ROWS, pdfPagesByPoppler } from '../../helpers/fax-documents.ts';
import {
  smtpPorts,
  startFaxCluster,
  startFaxNode,
  type FaxCluster,
  type FaxNode,
} from '../../helpers/fax-node.ts';
import {
  runFaxswitch,
  startSmtpSink,
  waitFor,
  type ReceivedMail,
  type SmtpSink,
} from '../../helpers/index.ts';

const FAX_DOMAIN = 'fax.example.net';
const TRUNK_PASSWORD = 'trunk-secret-4711';

const dkim = generateKeyPairSync('rsa', { modulusLength: 2048 });
const dkimPublicKey = dkim.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

function swaks(args: readonly string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) =>
    execFile('swaks', args, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
    ),
  );
}

describe('Email2Fax: mail to <number>@<fax domain> is faxed and reported', () => {
  let farEnd: FarEnd;
  let dns: TestDnsServer;
  let mail: SmtpSink;
  let cluster: FaxCluster;
  let node: FaxNode;
  let ports: { submission: number; mx: number };

  beforeAll(async () => {
    farEnd = await FarEnd.open();
    dns = await startDnsServer({
      'acme.example': [['v=spf1 ip4:192.0.2.10 -all']],
      '_dmarc.acme.example': [['v=DMARC1; p=reject']],
      'partner.example': [['v=spf1 -all']],
      '_dmarc.partner.example': [['v=DMARC1; p=reject']],
      'mail._domainkey.partner.example': [[`v=DKIM1; k=rsa; p=${dkimPublicKey}`]],
    });
    mail = await startSmtpSink();
    cluster = await startFaxCluster(mail);
    node = await startFaxNode(cluster, 'fax-a', {
      FAXSWITCH_SIP_TRUNKS: JSON.stringify([
        {
          name: 'carrier',
          proxy: farEnd.proxy,
          username: 'faxswitch',
          password: TRUNK_PASSWORD,
          maxChannels: 4,
        },
      ]),
      FAXSWITCH_DNS_SERVERS: dns.address,
      FAXSWITCH_FAX_RESOLUTION: 'standard',
    });
    ports = smtpPorts(node);
    for (const command of [
      [
        'account',
        'add',
        'acme',
        '--name',
        'ACME GmbH',
        '--allow-country',
        'DE',
        '--caller-id',
        '+4930555000',
      ],
      ['account', 'passwd', 'acme', 'alice@acme.example', '--password', 'alice-password-1'],
      ['account', 'allow-sender', 'acme', '@acme.example'],
      ['account', 'allow-sender', 'acme', '@partner.example'],
    ]) {
      const ran = await runFaxswitch(command, node.env);
      expect(ran.code, ran.stderr).toBe(0);
    }
  });

  afterAll(async () => {
    node?.child.kill('SIGKILL');
    await cluster?.dispose();
    await mail?.close();
    await dns?.close();
    await farEnd?.close();
  });

  function reportsFor(jobId: string): ReceivedMail[] {
    return mail.received.filter((received) => received.parsed.headers.get('x-fax-job') === jobId);
  }

  it(
    'faxes a PDF sent with AUTH over STARTTLS; the far end gets the rendered pages and the sender one report',
    { timeout: 180_000 },
    async () => {
      const client = nodemailer.createTransport({
        host: '127.0.0.1',
        port: ports.submission,
        secure: false,
        requireTLS: true,
        tls: { ca: readFileSync(path.join(node.stateDir, 'tls', 'cert.pem'), 'utf8') },
        auth: { user: 'alice@acme.example', pass: 'alice-password-1' },
      });
      const pdf = faxPdf(2);
      const sent = await client.sendMail({
        from: 'alice@acme.example',
        to: `030-1234501@${FAX_DOMAIN}`,
        subject: 'Invoice 42',
        attachments: [{ filename: 'invoice.pdf', path: pdf }],
      });
      client.close();
      expect(sent.response).toMatch(/^250 2\.6\.0 queued 1 fax job\(s\) of 2 page\(s\): out-[0-9a-f]{24}$/);
      const jobId = sent.response.split(': ')[1]!;

      const [fax] = await farEnd.waitForFaxes(1);
      expect(fax!.did).toBe('+49301234501');
      expect(fax!.outcome?.result.ok).toBe(true);
      expect(fax!.pages).toHaveLength(2);
      const offer = farEnd.offers.find((o) => o.did === '+49301234501')!;
      expect(offer.headers['x-fax-job']).toMatch(new RegExp(`^${jobId};attempt=1;epoch=\\d+$`));

      await mail.waitForMessages(1, 30_000);
      const [report] = reportsFor(jobId);
      expect(report!.envelopeTo).toEqual(['alice@acme.example']);
      expect(report!.parsed.subject).toBe('Fax to +49301234501 was delivered: Invoice 42');
      expect(report!.parsed.messageId).toBe(`<fax-job-${jobId}@${FAX_DOMAIN}>`);
      expect(report!.parsed.headers.get('x-fax-pages')).toBe('2/2');
      expect(report!.parsed.text).toMatch(/Attempts: +1/);
      expect(report!.parsed.text).toMatch(/Remote station: +FAR END \+49301234501/);
      expect(report!.parsed.attachments.some((a) => a.contentType === 'image/png' && a.cid === 'page1')).toBe(
        true,
      );

      // The far end's pages are the report's proof, pixel for pixel, and the attachment as our
      // renderer draws it on its own, below the header line stamped at the top of each page.
      const proof = report!.parsed.attachments.find((a) => a.contentType === 'application/pdf')!;
      const proofPages = pdfPagesByPoppler(proof.content, 'standard');
      expect(proofPages).toHaveLength(2);
      const renderer = new DocumentRenderer({ workers: 1 });
      const rendered = await renderer.render(readFileSync(pdf), {
        name: 'invoice.pdf',
        resolution: 'standard',
      });
      await renderer.close();
      fax!.pages.forEach((page, index) => {
        expect(bitmapsEqual(page, proofPages[index]!)).toBe(true);
        expect(equalBelow(page, rendered.pages[index]!, HEADER_ROWS)).toBe(true);
      });

      const listed = await runFaxswitch(['outbound', 'list', '--json'], node.env);
      const jobs = JSON.parse(listed.stdout) as { jobId: string; status: string; pagesConfirmed: number }[];
      expect(jobs.find((job) => job.jobId === jobId)).toMatchObject({ status: 'sent', pagesConfirmed: 2 });
      const shown = await runFaxswitch(['outbound', 'show', jobId], node.env);
      const history = JSON.parse(shown.stdout) as {
        calls: { outcome: { kind: string }; trunk: string }[];
        steps: { actor: string; event: string; page?: number }[];
      };
      expect(history.calls).toMatchObject([{ outcome: { kind: 'completed' }, trunk: 'carrier' }]);
      expect(history.steps.filter((step) => step.event === 'call.pageConfirmed').map((s) => s.page)).toEqual([
        1, 2,
      ]);
      expect(history.steps.some((step) => step.actor === 'report')).toBe(true);

      // The trunk's password is in the environment only: never in logs, never in `faxswitch config`.
      const config = await runFaxswitch(['config'], node.env);
      expect(config.stdout).toContain('"carrier"');
      expect(config.stdout).not.toContain(TRUNK_PASSWORD);
      expect(node.output()).not.toContain(TRUNK_PASSWORD);
    },
  );

  it('refuses unauthenticated mail with a spoofed From on the MX port (550 5.7.1), creating nothing', async () => {
    const before = farEnd.offers.length;
    const listedBefore = await runFaxswitch(['outbound', 'list', '--json'], node.env);
    const refused = await swaks([
      '--server',
      '127.0.0.1',
      '--port',
      String(ports.mx),
      '--from',
      'ceo@acme.example',
      '--to',
      `030-1234502@${FAX_DOMAIN}`,
      '--header',
      'Subject: urgent transfer',
      '--body',
      'Please fax this at once.',
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toMatch(/<\*\* +550 5\.7\.1 sender ceo@acme\.example could not be verified/);
    const listedAfter = await runFaxswitch(['outbound', 'list', '--json'], node.env);
    expect(JSON.parse(listedAfter.stdout)).toHaveLength(
      (JSON.parse(listedBefore.stdout) as unknown[]).length,
    );
    expect(farEnd.offers.length).toBe(before);
  });

  it(
    'accepts DKIM-signed mail from an allowed domain on the MX port; two numbers make two jobs',
    { timeout: 180_000 },
    async () => {
      const before = farEnd.faxes.length;
      const client = nodemailer.createTransport({
        host: '127.0.0.1',
        port: ports.mx,
        secure: false,
        ignoreTLS: true,
        dkim: {
          domainName: 'partner.example',
          keySelector: 'mail',
          privateKey: dkim.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        },
      });
      const sent = await client.sendMail({
        from: 'orders@partner.example',
        to: [`030-1234503@${FAX_DOMAIN}`, `+49301234504@${FAX_DOMAIN}`],
        subject: 'Order 7',
        text: 'Please deliver 40 boxes on Monday.',
      });
      client.close();
      expect(sent.response).toMatch(/^250 2\.6\.0 queued 2 fax job\(s\) of 1 page\(s\): out-\S+ out-\S+$/);
      const jobIds = sent.response.split(': ')[1]!.split(' ');

      const faxes = (await farEnd.waitForFaxes(before + 2)).slice(before);
      expect(faxes.map((fax) => fax.did).sort()).toEqual(['+49301234503', '+49301234504']);
      for (const fax of faxes) {
        expect(fax.outcome?.result.ok).toBe(true);
        expect(fax.pages).toHaveLength(1);
      }
      await mail.waitForMessages(3, 30_000);
      for (const [index, jobId] of jobIds.entries()) {
        const reports = reportsFor(jobId);
        expect(reports).toHaveLength(1);
        expect(reports[0]!.envelopeTo).toEqual(['orders@partner.example']);
        const proof = reports[0]!.parsed.attachments.find((a) => a.contentType === 'application/pdf')!;
        const fax = faxes.find((f) => f.did === (index === 0 ? '+49301234503' : '+49301234504'))!;
        expect(bitmapsEqual(fax.pages[0]!, pdfPagesByPoppler(proof.content, 'standard')[0]!)).toBe(true);
      }
    },
  );

  it(
    'submits from the command line and cancels while dialing; the sender hears it was cancelled',
    { timeout: 120_000 },
    async () => {
      const destination = '+49301234505';
      farEnd.behave((offer) => (offer.did === destination ? { answerAfterMs: 30_000 } : {}));
      const submitted = await runFaxswitch(
        [
          'outbound',
          'submit',
          faxPdf(1),
          '--to',
          '030-1234505',
          '--account',
          'acme',
          '--subject',
          'Never mind',
        ],
        node.env,
      );
      expect(submitted.code, submitted.stderr).toBe(0);
      expect(submitted.stdout).toMatch(/^queued 1 fax job\(s\) of 1 page\(s\)\nout-[0-9a-f]{24}\n$/);
      const jobId = submitted.stdout.trim().split('\n')[1]!;
      const statusOf = async (): Promise<string> =>
        (JSON.parse((await runFaxswitch(['outbound', 'show', jobId], node.env)).stdout) as { status: string })
          .status;
      await waitFor(() => farEnd.offers.some((offer) => offer.did === destination), {
        timeoutMs: 30_000,
        what: 'the INVITE at the far end',
      });
      expect(await statusOf()).toBe('dialing');

      const cancelled = await runFaxswitch(['outbound', 'cancel', jobId], node.env);
      expect(cancelled.code, cancelled.stderr).toBe(0);
      await waitFor(async () => (await statusOf()) === 'cancelled', { timeoutMs: 20_000, what: 'cancelled' });
      const report = await waitFor(() => reportsFor(jobId)[0], { timeoutMs: 30_000, what: 'the report' });
      expect(report.envelopeTo).toEqual(['alice@acme.example']); // the account's login
      expect(report.parsed.subject).toBe(`Fax to ${destination} was cancelled: Never mind`);
      expect(farEnd.callsTo(destination).flatMap((call) => call.pages)).toHaveLength(0);
    },
  );
});
