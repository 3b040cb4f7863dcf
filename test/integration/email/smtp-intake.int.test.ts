// Email2Fax intake as mail clients meet it: real SMTP sessions from nodemailer and swaks against our
// submission and MX services, with accounts in a real redis-server. Two ports stand in for later
// stages until #8 wires them: `preflight` counts one page per document and refuses an empty file the
// way the renderer does, and `submit` records the jobs it is handed (the durable store is #4's).
// DNS for SPF/DKIM/DMARC is answered by the test (public DNS cannot be reached here).
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { AccountStore } from '../../../src/accounts/index.ts';
import { ACME_ACCOUNT as acme } from '../../fixtures/accounts.ts';
import { RetryableError, TerminalError } from '../../../cluster/index.ts';
import {
  createMxServer,
  createSubmissionServer,
  type FaxDocument,
  type FaxSubmission,
  type SmtpIntakeOptions,
} from '../../../src/email/index.ts';
import { localhostCertificate, makeTempDir, uniqueNamespace, useRedis } from '../../helpers/index.ts';

const FAX_DOMAIN = 'fax.example';

const dkimKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const dkimPublic = dkimKeys.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const dns: Record<string, string[][]> = {
  'acme.example:TXT': [['v=spf1 ip4:192.0.2.10 -all']],
  '_dmarc.acme.example:TXT': [['v=DMARC1; p=reject']],
  'mail._domainkey.acme.example:TXT': [[`v=DKIM1; k=rsa; p=${dkimPublic}`]],
};
function resolver(name: string, type: string): Promise<string[][]> {
  const records = dns[`${name.toLowerCase()}:${type}`];
  if (records) return Promise.resolve(records);
  return Promise.reject(Object.assign(new Error(`no ${type} for ${name}`), { code: 'ENOTFOUND' }));
}

class RendererRefusal extends TerminalError {}

describe('SMTP intake', () => {
  const redis = useRedis();
  let accounts: AccountStore;
  let submitted: FaxSubmission[];
  let submitFailure: Error | undefined;
  const servers: SMTPServer[] = [];

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  async function start(
    kind: 'submission' | 'mx',
    overrides: Partial<SmtpIntakeOptions> = {},
  ): Promise<number> {
    accounts = new AccountStore(redis.client(), { namespace: uniqueNamespace('intake') });
    await accounts.save(acme);
    await accounts.setLogin('acme', 'alice@acme.example', 'alice-password');
    submitted = [];
    submitFailure = undefined;
    const options: SmtpIntakeOptions = {
      faxDomain: FAX_DOMAIN,
      hostname: 'faxswitch.test',
      tls: localhostCertificate(),
      maxMessageBytes: 200_000,
      maxRecipients: 5,
      maxClients: 10,
      ...overrides,
    };
    const ports = {
      accounts,
      now: () => Date.UTC(2026, 10, 22, 10),
      resolver,
      preflight: (documents: readonly FaxDocument[]) => {
        const empty = documents.find((d) => d.content.length === 0);
        if (empty) {
          return Promise.reject(
            new RendererRefusal(`${empty.name} is empty`, {
              wire: { smtp: { code: 554, enhanced: '5.6.1' } },
            }),
          );
        }
        return Promise.resolve({ pages: documents.length });
      },
      submit: (submission: FaxSubmission) => {
        if (submitFailure) return Promise.reject(submitFailure);
        submitted.push(submission);
        return Promise.resolve({
          jobIds: submission.recipients.map((_, i) => `job-${submitted.length}-${i + 1}`),
          alreadyAccepted: false,
        });
      },
    };
    const server =
      kind === 'submission' ? createSubmissionServer(options, ports) : createMxServer(options, ports);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.server.address() as AddressInfo).port;
  }

  function client(port: number, auth = { user: 'alice@acme.example', pass: 'alice-password' }) {
    return nodemailer.createTransport({
      host: '127.0.0.1',
      port,
      secure: false,
      requireTLS: true,
      tls: { ca: localhostCertificate().cert, servername: 'localhost' },
      auth,
    });
  }

  const pdf = { filename: 'invoice.pdf', content: Buffer.from('%PDF-1.7 …') };

  async function replyOf(promise: Promise<unknown>): Promise<string> {
    try {
      const info = (await promise) as { response: string };
      return info.response;
    } catch (error) {
      return (error as { response?: string }).response ?? String(error);
    }
  }

  describe('submission (587)', () => {
    it('accepts an authenticated message to two numbers as two jobs, answering 250 only after submit', async () => {
      const port = await start('submission');
      const reply = await replyOf(
        client(port).sendMail({
          from: 'alice@acme.example',
          to: ['+49301234567@fax.example', '040-1234567@fax.example'],
          subject: 'Invoice',
          text: 'Please find the invoice attached.',
          attachments: [pdf],
        }),
      );
      expect(reply).toBe('250 2.6.0 queued 2 fax job(s) of 2 page(s): job-1-1 job-1-2');
      expect(submitted).toHaveLength(1);
      const job = submitted[0]!;
      expect(job.recipients).toEqual(['+49301234567', '+49401234567']);
      expect(job.accountId).toBe('acme');
      expect(job.documents.map((d) => [d.source, d.name, d.contentType])).toEqual([
        ['body', 'message text', 'text/plain'],
        ['attachment', 'invoice.pdf', 'application/pdf'],
      ]);
      expect(job.documents[1]?.content).toEqual(pdf.content);
    });

    it('answers 535 to a wrong password and never submits', async () => {
      const port = await start('submission');
      const reply = await replyOf(
        client(port, { user: 'alice@acme.example', pass: 'guess' }).sendMail({
          from: 'alice@acme.example',
          to: '+49301234567@fax.example',
          text: 'x',
        }),
      );
      expect(reply).toMatch(/^535 5\.7\.8 authentication failed/);
      expect(submitted).toEqual([]);
    });

    it('refuses a sender address other than the login with 550 5.7.1', async () => {
      const port = await start('submission');
      const reply = await replyOf(
        client(port).sendMail({
          from: 'ceo@acme.example',
          to: '+49301234567@fax.example',
          text: 'wire money',
        }),
      );
      expect(reply).toMatch(/^550 5\.7\.1 sender address must be alice@acme\.example/);
    });

    it('refuses bad numbers (5.1.1), numbers outside the dial plan (5.7.1) and other domains', async () => {
      const port = await start('submission');
      const send = (to: string) =>
        replyOf(client(port).sendMail({ from: 'alice@acme.example', to, text: 'x' }));
      expect(await send('sales@fax.example')).toMatch(/^550 5\.1\.1 'sales' is not a fax number/);
      expect(await send('+33144556677@fax.example')).toMatch(/^550 5\.7\.1 \+33144556677 \(FR\) is outside/);
      expect(await send('someone@elsewhere.example')).toMatch(/^550 5\.7\.1 relaying denied/);
      expect(submitted).toEqual([]);
    });

    it('refuses a message with nothing to fax (554 5.6.1), naming an unrenderable attachment', async () => {
      const port = await start('submission');
      const empty = await replyOf(
        client(port).sendMail({
          from: 'alice@acme.example',
          to: '+49301234567@fax.example',
          subject: 'x',
          text: '  ',
        }),
      );
      expect(empty).toMatch(/^554 5\.6\.1 nothing to fax/);
      const broken = await replyOf(
        client(port).sendMail({
          from: 'alice@acme.example',
          to: '+49301234567@fax.example',
          text: 'see attachment',
          attachments: [{ filename: 'scan.tif', content: Buffer.alloc(0) }],
        }),
      );
      expect(broken).toMatch(/^554 5\.6\.1 scan\.tif is empty/);
    });

    it('refuses an oversized message with 552', async () => {
      const port = await start('submission', { maxMessageBytes: 10_000 });
      const reply = await replyOf(
        client(port).sendMail({
          from: 'alice@acme.example',
          to: '+49301234567@fax.example',
          text: 'big',
          attachments: [{ filename: 'big.pdf', content: Buffer.alloc(50_000, 1) }],
        }),
      );
      expect(reply).toMatch(/^552 /);
      expect(submitted).toEqual([]);
    });

    it('answers 451 when the job store is away, so the client keeps the message, and gives the usage back', async () => {
      const port = await start('submission');
      await accounts.save({ ...acme, limits: { faxesPerHour: 1, pagesPerDay: 1000 } });
      submitFailure = new RetryableError('job store unavailable');
      const send = () =>
        replyOf(
          client(port).sendMail({ from: 'alice@acme.example', to: '+49301234567@fax.example', text: 'x' }),
        );
      expect(await send()).toBe('451 4.3.0 job store unavailable; please try again later');
      submitFailure = undefined;
      // The failed attempt did not use up the one fax this hour allows.
      expect(await send()).toMatch(/^250 /);
      expect(await send()).toMatch(/^450 4\.7\.1 account acme has reached its limit of 1 faxes per hour/);
    });

    it('works with swaks, a command-line mail client, over STARTTLS with AUTH PLAIN', async () => {
      const port = await start('submission');
      const dir = makeTempDir();
      const attachment = path.join(dir, 'letter.pdf');
      writeFileSync(attachment, '%PDF-1.4 letter');
      const output = await new Promise<string>((resolve) => {
        execFile(
          'swaks',
          [
            '--server',
            `127.0.0.1:${port}`,
            '--tls',
            '--auth',
            'PLAIN',
            '--auth-user',
            'alice@acme.example',
            '--auth-password',
            'alice-password',
            '--from',
            'alice@acme.example',
            '--to', // swaks reads a leading + as an option prefix; the national form is what people type anyway
            '030-1234567@fax.example',
            '--header',
            'Subject: from swaks',
            '--body',
            'cover text',
            '--attach',
            `@${attachment}`,
          ],
          (_error, stdout, stderr) => resolve(stdout + stderr),
        );
      });
      expect(output).toMatch(/<~ +250 2\.6\.0 queued 1 fax job\(s\)/);
      expect(submitted[0]?.recipients).toEqual(['+49301234567']);
      expect(submitted[0]?.documents.map((d) => d.name)).toEqual(['message text', 'letter.pdf']);
    });
  });

  describe('MX (25)', () => {
    function mx(port: number) {
      return nodemailer.createTransport({
        host: '127.0.0.1',
        port,
        secure: false,
        tls: { ca: localhostCertificate().cert, servername: 'localhost' },
        name: 'mail.acme.example',
      });
    }

    it('accepts a DKIM-signed message from an allowlisted domain', async () => {
      const port = await start('mx');
      const reply = await replyOf(
        mx(port).sendMail({
          from: 'billing@acme.example',
          to: '+49301234567@fax.example',
          subject: 'Order confirmation',
          text: 'Confirmed.',
          dkim: {
            domainName: 'acme.example',
            keySelector: 'mail',
            privateKey: dkimKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          },
        }),
      );
      expect(reply).toMatch(/^250 2\.6\.0 queued 1 fax job/);
      expect(submitted[0]?.sender).toBe('billing@acme.example');
    });

    it('refuses an unsigned message with a spoofed From from a host SPF does not allow: 550 5.7.1', async () => {
      const port = await start('mx');
      const reply = await replyOf(
        mx(port).sendMail({ from: 'billing@acme.example', to: '+49301234567@fax.example', text: 'pay now' }),
      );
      expect(reply).toMatch(/^550 5\.7\.1 sender billing@acme\.example could not be verified/);
      expect(submitted).toEqual([]);
    });
  });
});
