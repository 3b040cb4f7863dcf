// Serial letters end to end: two `faxswitch start` nodes sharing Redis, NATS and the archive, a
// trunk to a far end that plays the carrier and the receiving fax machines (FarEnd: SpanDSP behind
// its own SIP stack), a real SMTP server over STARTTLS as the relay, and the campaign submitted
// with `faxswitch campaign send` as an operator would. A mixed list gets each letter once through
// the right channel — emails with their own content, faxes pixel-equal to the rendered letter
// (below the header line every fax page carries) — and the owner's report lists every row. Then a
// node is killed (kill -9) while the mail server holds the letters it is sending: its peer resumes
// the campaign and every recipient ends up with exactly one letter.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorReader } from '../../../cluster/index.ts';
import { DocumentRenderer, type FaxPage } from '../../../src/documents/index.ts';
import { equalBelow, HEADER_ROWS } from '../../helpers/fax-documents.ts';
import { compileLetterTemplate } from '../../../src/letters/index.ts';
import { FarEnd } from '../../helpers/far-end.ts';
import {
  smtpPorts,
  startFaxCluster,
  startFaxNode,
  type FaxCluster,
  type FaxNode,
} from '../../helpers/fax-node.ts';
import { makeTempDir, runFaxswitch, startSmtpSink, waitFor, type SmtpSink } from '../../helpers/index.ts';

const OWNER = 'office@acme.example';
const FAX_DOMAIN = 'fax.example.net';
const TEMPLATE = `# Annual statement

Dear {{name}},

your balance is **{{balance}} EUR**.

Kind regards
`;

describe('serial letters on a cluster', () => {
  let farEnd: FarEnd;
  let mail: SmtpSink;
  let cluster: FaxCluster;
  const nodes: FaxNode[] = [];
  const dir = makeTempDir('faxswitch-campaign-e2e-');
  let holdLetters: Promise<void> | undefined;

  beforeAll(async () => {
    farEnd = await FarEnd.open({ mediaPorts: { min: 34_000, max: 34_999 } });
    mail = await startSmtpSink({ holdReply: () => holdLetters });
    cluster = await startFaxCluster(mail);
    const env = {
      FAXSWITCH_SIP_TRUNKS: JSON.stringify([{ name: 'carrier', proxy: farEnd.proxy, maxChannels: 4 }]),
      FAXSWITCH_FAX_RESOLUTION: 'standard',
    };
    nodes.push(await startFaxNode(cluster, 'fax-a', env), await startFaxNode(cluster, 'fax-b', env));
    const added = await runFaxswitch(
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
      nodes[0]!.env,
    );
    expect(added.code, added.stderr).toBe(0);
    writeFileSync(path.join(dir, 'statement.md'), TEMPLATE);
  });

  afterAll(async () => {
    for (const node of nodes) node.child.kill('SIGKILL');
    await cluster?.dispose();
    await mail?.close();
    await farEnd?.close();
  });

  async function send(list: string, name: string, extra: string[] = []): Promise<string> {
    const file = path.join(dir, `${name}.csv`);
    writeFileSync(file, list);
    const sent = await runFaxswitch(
      [
        'campaign',
        'send',
        '--account',
        'acme',
        '--owner',
        OWNER,
        '--template',
        path.join(dir, 'statement.md'),
        '--recipients',
        file,
        '--name',
        name,
        '--subject',
        'Your statement, {{name}}',
        ...extra,
      ],
      nodes.at(-1)!.env,
    );
    expect(sent.code, sent.stderr).toBe(0);
    return sent.stdout.trim();
  }

  function report(campaignId: string): string[][] | undefined {
    const email = mail.received.find(
      (m) => m.envelopeTo[0] === OWNER && m.parsed.headers.get('x-campaign-id') === campaignId,
    );
    return email?.parsed.attachments[0]?.content
      .toString()
      .trim()
      .split(/\r?\n/)
      .map((line) => line.split(','));
  }

  it(
    'delivers a mixed list once each, by email or by fax, and reports every row',
    { timeout: 240_000 },
    async () => {
      const list = [
        'name,email,fax,balance',
        'Anna,anna@example.com,,120.50',
        'Bert,,+49 30 5550201,80',
        'Cleo,cleo@example.com,+4930555202,10',
        'Dora,,,5',
        'Emil,not-an-address,,5',
        'Anna again,anna@example.com,,1',
      ].join('\n');
      const dayOf = (): number => Math.floor(Date.now() / 86_400_000);
      const sentOnDay = dayOf();
      const campaignId = await send(list, 'statement');
      expect(campaignId).toMatch(/^cmp-[0-9a-z]+-[0-9a-f]{12}$/);
      const rows = await waitFor(() => report(campaignId), {
        timeoutMs: 200_000,
        what: 'the campaign report',
      });

      const letters = mail.received.filter(
        (m) => m.envelopeTo[0] !== OWNER && m.parsed.headers.get('x-campaign-id') === campaignId,
      );
      expect(letters.map((m) => m.envelopeTo[0]).sort()).toEqual(['anna@example.com', 'cleo@example.com']);
      expect(letters.find((m) => m.envelopeTo[0] === 'cleo@example.com')!.parsed.html).toContain(
        'Dear Cleo,',
      );

      const faxes = farEnd.faxes.filter((fax) => fax.did === '+49305550201');
      expect(faxes).toHaveLength(1);
      const renderer = new DocumentRenderer({ workers: 1 });
      let expected: FaxPage[];
      try {
        const letter = await compileLetterTemplate(Buffer.from(TEMPLATE), {
          name: 'statement.md',
          allowedFields: ['name', 'email', 'fax', 'balance'],
        }).personalise({ name: 'Bert', email: '', fax: '+49305550201', balance: '80' });
        expected = (await renderer.render(letter.pdf, { name: 'statement', mode: 'text' })).pages;
      } finally {
        await renderer.close();
      }
      expect(faxes[0]!.pages).toHaveLength(expected.length);
      faxes[0]!.pages.forEach((page, i) => expect(equalBelow(page, expected[i]!, HEADER_ROWS)).toBe(true));
      expect(farEnd.faxes.some((fax) => fax.did === '+4930555202')).toBe(false);
      // The fax letter counts against the account's limits like any fax it sends (no other test
      // of this file has run yet); usage windows are UTC days, so only a run across midnight differs.
      const accounts = await runFaxswitch(['account', 'list', '--json'], nodes[0]!.env);
      const [acme] = JSON.parse(accounts.stdout) as { usage: { pagesToday: number } }[];
      if (dayOf() === sentOnDay) expect(acme!.usage.pagesToday).toBe(expected.length);

      expect(rows.slice(1).map((row) => row.slice(0, 3))).toEqual([
        ['2', 'delivered', 'email'],
        ['3', 'delivered', 'fax'],
        ['4', 'delivered', 'email'],
        ['5', 'invalid', ''],
        ['6', 'invalid', ''],
        ['7', 'duplicate', ''],
      ]);
      const shown = await runFaxswitch(['campaign', 'show', campaignId], nodes[0]!.env);
      expect(JSON.parse(shown.stdout)).toMatchObject({
        status: 'finished',
        rows: 6,
        recipients: 3,
        outcomes: { delivered_email: 2, delivered_fax: 1, invalid: 2, duplicate: 1 },
      });
    },
  );

  it(
    'takes a campaign mailed to campaign@ by an authenticated sender, once per message',
    { timeout: 120_000 },
    async () => {
      const node = nodes[0]!;
      const passwd = await runFaxswitch(
        ['account', 'passwd', 'acme', OWNER, '--password', 'office-password-1'],
        node.env,
      );
      expect(passwd.code, passwd.stderr).toBe(0);
      const client = nodemailer.createTransport({
        host: '127.0.0.1',
        port: smtpPorts(node).submission,
        secure: false,
        requireTLS: true,
        tls: { ca: readFileSync(path.join(node.stateDir, 'tls', 'cert.pem'), 'utf8') },
        auth: { user: OWNER, pass: 'office-password-1' },
      });
      const message = {
        from: OWNER,
        to: `campaign@${FAX_DOMAIN}`,
        subject: 'Reminder for {{name}} [attachment]',
        messageId: '<reminder-2026-11@acme.example>',
        attachments: [
          { filename: 'reminder.md', content: TEMPLATE },
          {
            filename: 'list.csv',
            content: 'name,email,balance\nIda,ida@example.net,3\nJan,jan@example.net,4\n',
          },
        ],
      };
      const first = await client.sendMail(message);
      expect(first.response).toMatch(/^250 2\.6\.0 campaign cmp-[0-9a-f]{24} accepted$/);
      const campaignId = /(cmp-[0-9a-f]{24})/.exec(first.response)![1]!;
      // The client did not hear the 250 and sends the same message again: nothing new starts.
      const again = await client.sendMail(message);
      expect(again.response).toContain(campaignId);
      client.close();

      await waitFor(() => report(campaignId), { timeoutMs: 100_000, what: 'the campaign report' });
      const letters = mail.received.filter((m) => m.parsed.headers.get('x-campaign-id') === campaignId);
      expect(letters.map((m) => m.envelopeTo[0]).sort()).toEqual([
        'ida@example.net',
        'jan@example.net',
        OWNER,
      ]);
      const ida = letters.find((m) => m.envelopeTo[0] === 'ida@example.net')!;
      expect(ida.parsed.subject).toBe('Reminder for Ida');
      expect(ida.parsed.html).toBeFalsy();
      expect(ida.parsed.attachments.map((a) => a.contentType)).toEqual(['application/pdf']);
    },
  );

  it(
    'loses no letter and sends none twice when the node running it is killed',
    { timeout: 240_000 },
    async () => {
      const count = 60;
      const list = [
        'name,email,balance',
        ...Array.from({ length: count }, (_, i) => `R${i},r${i}@example.org,${i}`),
      ];
      let release!: () => void;
      holdLetters = new Promise((resolve) => (release = resolve));
      const campaignId = await send(list.join('\n'), 'crash', ['--window', '10']);
      // The relay keeps 4 connections per node, each waiting for its reply: up to 4 letters held.
      await waitFor(() => mail.held >= 3, { timeoutMs: 60_000, what: 'letters held at the mail server' });

      const redis = new Redis(cluster.redis.url);
      const owner = (await new ActorReader(redis, 'faxswitch').read(campaignId))?.owner;
      redis.disconnect();
      const victim = nodes.find((node) => owner?.startsWith(`${node.name}#`))!;
      expect(victim, `campaign owner ${owner}`).toBeDefined();
      victim.child.kill('SIGKILL');
      await waitFor(() => victim.child.signalCode !== null, { what: 'the node to be gone' });
      holdLetters = undefined;
      release();

      const rows = await waitFor(() => report(campaignId), {
        timeoutMs: 200_000,
        what: 'the campaign report',
      });
      expect(mail.abandoned).toBeGreaterThanOrEqual(3);
      const letters = mail.received.filter(
        (m) => m.envelopeTo[0] !== OWNER && m.parsed.headers.get('x-campaign-id') === campaignId,
      );
      const perAddress = new Map<string, number>();
      for (const letter of letters)
        perAddress.set(letter.envelopeTo[0]!, (perAddress.get(letter.envelopeTo[0]!) ?? 0) + 1);
      expect(perAddress.size).toBe(count);
      expect([...perAddress.values()].every((n) => n === 1)).toBe(true);
      expect(rows.slice(1).filter((row) => row[1] === 'delivered')).toHaveLength(count);
    },
  );
});
