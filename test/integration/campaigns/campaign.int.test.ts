// A serial-letter campaign as the cluster runs it: the campaign and recipient actors on a real host
// (redis-server, nats-server), the sealed archive, a real SMTP server over STARTTLS for the emails
// and the report, and real faxes: the fax channel here is a FaxStation dialling an answering
// FaxStation directly (the outbound fax service is the boundary left out of this test; the
// end-to-end test goes through it). Checked: each row of a mixed list gets its letter once through
// the right channel with its own content, faxes arrive pixel-equal to the rendered letter, bad rows
// are reported by line, a bounced email falls back to fax, and a cancelled campaign reports the
// letters it never sent.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorHost } from '../../../cluster/index.ts';
import { AccountStore, UsageLimitError } from '../../../src/accounts/index.ts';
import { FaxArchive, FileBlobStore, parseKeyRing } from '../../../src/archive/index.ts';
import {
  CampaignMetrics,
  CampaignStore,
  CampaignTemplates,
  DomainThrottle,
  newCampaignId,
  registerCampaignEffects,
  registerLetterDeliveryEffects,
  stageCampaign,
  type CampaignSettings,
  type LetterFaxSender,
} from '../../../src/campaigns/index.ts';
import {
  bitmapsEqual,
  DocumentRenderer,
  readTiff,
  writeTiff,
  type FaxPage,
} from '../../../src/documents/index.ts';
import { MailReceipts, SmtpRelay } from '../../../src/email/index.ts';
import { FaxStation } from '../../../src/fax-call/index.ts';
import { DEFAULT_T38_PARAMS } from '../../../src/media/index.ts';
import { createLogger, createMetricsRegistry } from '../../../src/observability/index.ts';
import { campaign, campaignRecipient } from '../../../src/workflows/index.ts';
import { ACME_ACCOUNT } from '../../fixtures/accounts.ts';
import {
  makeTempDir,
  startNats,
  startRedis,
  startSmtpSink,
  uniqueNamespace,
  waitFor,
  type SmtpSink,
  type TestServer,
} from '../../helpers/index.ts';
import { FAST } from '../cluster/harness.ts';

const quiet = createLogger({
  level: 'silent',
  nodeName: 'test',
  destination: new Writable({ write: (_c, _e, done) => done() }),
});

const TEMPLATE = `# Annual statement

Dear {{name}},

your balance is **{{balance}} EUR**.

Kind regards
`;

describe('serial-letter campaign', () => {
  let redisServer: TestServer;
  let natsServer: TestServer;
  let redis: Redis;
  let nats: NatsConnection;
  let host: ActorHost;
  let archive: FaxArchive;
  let store: CampaignStore;
  let templates: CampaignTemplates;
  let renderer: DocumentRenderer;
  let mail: SmtpSink;
  let relay: SmtpRelay;
  let sender: FaxStation;
  let farEnd: FaxStation;
  const namespace = uniqueNamespace('campaign');
  /** Pages each far-end number received, in call order. */
  const faxesReceived = new Map<string, FaxPage[][]>();
  const bounce = new Set<string>();
  /** Numbers whose next fax finds the account's limits used up (the outbound service refuses it). */
  const limitReached = new Set<string>();
  const limitRefusals: string[] = [];
  let holdEmails: Promise<void> | undefined;

  beforeAll(async () => {
    [redisServer, natsServer] = await Promise.all([startRedis(), startNats()]);
    mail = await startSmtpSink({
      refuse: ({ session }) =>
        session.envelope.rcptTo.some((r) => bounce.has(r.address))
          ? { code: 550, text: 'no such user' }
          : undefined,
      holdReply: () => holdEmails,
    });
    redis = new Redis(redisServer.url, { enableOfflineQueue: false });
    await new Promise((resolve) => redis.once('ready', resolve));
    nats = await connect({ servers: natsServer.url });
    archive = new FaxArchive(
      new FileBlobStore(makeTempDir('faxswitch-archive-')),
      parseKeyRing(`k1:${randomBytes(32).toString('base64')}`, 'test keys'),
    );
    store = new CampaignStore(redis, { namespace });
    await new AccountStore(redis, { namespace }).save(ACME_ACCOUNT);
    renderer = new DocumentRenderer({ workers: 1 });
    templates = new CampaignTemplates(archive, renderer);
    relay = new SmtpRelay({ url: mail.url, ca: mail.ca });

    // The far end names each received file after the number dialled and counts the faxes that ended.
    const inbox = makeTempDir('faxswitch-campaign-faxes-');
    const calls = new Map<string, number>();
    const ended = new Map<string, number>();
    farEnd = await FaxStation.open({
      host: '127.0.0.1',
      maxCalls: 4,
      t38: DEFAULT_T38_PARAMS,
      logger: quiet,
    });
    farEnd.answer(
      (offer) => {
        const count = (calls.get(offer.did) ?? 0) + 1;
        calls.set(offer.did, count);
        return {
          job: { direction: 'receive', file: path.join(inbox, `${offer.did}-${count}.tif`) },
          timeoutMs: 120_000,
        };
      },
      (outcome) => ended.set(outcome.caller ?? '', (ended.get(outcome.caller ?? '') ?? 0) + 1),
      () => undefined,
    );
    sender = await FaxStation.open({
      host: '127.0.0.1',
      maxCalls: 4,
      proxy: `127.0.0.1:${farEnd.listening.udpPort}`,
      t38: DEFAULT_T38_PARAMS,
      logger: quiet,
    });
    const fax: LetterFaxSender = {
      async send(request) {
        if (limitReached.delete(request.destination)) {
          limitRefusals.push(request.destination);
          throw new UsageLimitError('account acme has reached its limit of 1 faxes per hour', {
            retryAfterMs: 1_000,
          });
        }
        const file = path.join(inbox, `${request.key}.send.tif`);
        writeFileSync(file, writeTiff([...request.pages]));
        const before = ended.get(request.destination) ?? 0;
        // The calling number is the destination, so the far end's outcome tells whose fax ended.
        const outcome = await sender.send({
          to: request.destination,
          callerId: request.destination,
          job: { direction: 'send', file },
          timeoutMs: 120_000,
        });
        await waitFor(() => (ended.get(request.destination) ?? 0) > before, {
          what: 'the far end to finish',
        });
        const received = readTiff(
          readFileSync(path.join(inbox, `${request.destination}-${calls.get(request.destination)}.t38.tif`)),
        );
        faxesReceived.set(request.destination, [...(faxesReceived.get(request.destination) ?? []), received]);
        return { sent: outcome.result.ok, detail: outcome.result.text };
      },
    };

    host = new ActorHost({
      redis,
      nats,
      prefix: namespace,
      nodeName: 'letters',
      machines: [campaign, campaignRecipient],
      ...FAST,
    });
    const metrics = new CampaignMetrics(createMetricsRegistry('test'));
    const receipts = new MailReceipts(redis, { namespace });
    const common = {
      host,
      store,
      receipts,
      relay,
      from: 'letters@fax.example.net',
      messageIdDomain: 'fax.example.net',
      metrics,
      logger: quiet,
    };
    registerCampaignEffects({ ...common, archive, accounts: new AccountStore(redis, { namespace }) });
    registerLetterDeliveryEffects({
      ...common,
      templates,
      fax,
      throttle: new DomainThrottle(redis, 50, { namespace }),
    });
    await host.start();
  });

  afterAll(async () => {
    await host?.stop();
    await sender?.close();
    await farEnd?.close();
    await renderer?.close();
    relay?.close();
    await nats?.close();
    redis?.disconnect();
    await mail?.close();
    await Promise.all([redisServer?.dispose(), natsServer?.dispose()]);
  });

  async function runCampaign(
    list: string,
    options: Partial<CampaignSettings> = {},
  ): Promise<CampaignSettings> {
    const campaignId = newCampaignId(Date.now());
    const staged = await stageCampaign(archive, {
      campaignId,
      template: { name: 'statement.md', content: Buffer.from(TEMPLATE) },
      subject: 'Your statement, {{name}}',
      list: Readable.from([list]),
    });
    const settings: CampaignSettings = {
      ...staged,
      name: 'statement',
      accountId: 'acme',
      owner: 'office@acme.example',
      createdAt: Date.now(),
      subject: 'Your statement, {{name}}',
      emailMode: 'body',
      fallback: false,
      window: 10,
      ...options,
    };
    await store.create(settings);
    await host.spawn('campaign', campaignId, { campaignId, createdAt: settings.createdAt });
    return settings;
  }

  async function finished(campaignId: string, timeoutMs = 120_000): Promise<void> {
    await waitFor(async () => (await host.read(campaignId))?.status === 'done', {
      timeoutMs,
      what: `campaign ${campaignId} to finish`,
    });
  }

  function pdfText(pdf: Buffer): string {
    const file = path.join(makeTempDir(), 'letter.pdf');
    writeFileSync(file, pdf);
    return execFileSync('pdftotext', [file, '-']).toString();
  }

  function reportOf(campaignId: string): string[][] {
    const report = mail.received.find(
      (m) =>
        m.parsed.headers.get('x-campaign-id') === campaignId && m.envelopeTo[0] === 'office@acme.example',
    );
    return report!.parsed.attachments[0]!.content.toString()
      .trim()
      .split(/\r?\n/)
      .map((line) => line.split(','));
  }

  it(
    'delivers each row once through the right channel and reports every row',
    { timeout: 180_000 },
    async () => {
      await store.addOptOuts('acme', ['opted@example.com']);
      const list = [
        'name,email,fax,balance',
        'Anna,anna@example.com,,120.50', // 2: email only
        'Bert,,+49 30 5550101,80', // 3: fax only
        'Cleo,cleo@example.com,+4930555102,10', // 4: both: email
        'Dora,,,5', // 5: invalid: nothing to send to
        'Emil,not-an-address,,5', // 6: invalid email
        'Fritz,,+1 900 555 0100,5', // 7: outside the dial plan
        'Anna again,anna@example.com,,1', // 8: duplicate
        'Olga,opted@example.com,,1', // 9: opted out
      ].join('\n');
      const before = mail.received.length;
      const settings = await runCampaign(list);
      await finished(settings.campaignId);

      const letters = mail.received.slice(before).filter((m) => m.envelopeTo[0] !== 'office@acme.example');
      expect(letters.map((m) => m.envelopeTo[0]).sort()).toEqual(['anna@example.com', 'cleo@example.com']);
      const anna = letters.find((m) => m.envelopeTo[0] === 'anna@example.com')!;
      expect(anna.parsed.subject).toBe('Your statement, Anna');
      expect(anna.parsed.html).toContain('<strong>120.50 EUR</strong>');
      expect(pdfText(anna.parsed.attachments[0]!.content)).toContain('Dear Anna,');

      const bert = faxesReceived.get('+49305550101');
      expect(bert).toHaveLength(1);
      const expected = await templates.faxPages(settings, {
        line: 3,
        email: undefined,
        fax: '+49305550101',
        fields: { name: 'Bert', email: '', fax: '+49305550101', balance: '80' },
      });
      expect(bert![0]!.length).toBe(expected.length);
      bert![0]!.forEach((page, index) => expect(bitmapsEqual(page, expected[index]!)).toBe(true));
      expect(faxesReceived.has('+4930555102')).toBe(false);

      const rows = reportOf(settings.campaignId);
      expect(rows[0]).toEqual(['line', 'result', 'channel', 'email', 'fax', 'detail']);
      expect(rows.slice(1).map((row) => [row[0], row[1], row[2]])).toEqual([
        ['2', 'delivered', 'email'],
        ['3', 'delivered', 'fax'],
        ['4', 'delivered', 'email'],
        ['5', 'invalid', ''],
        ['6', 'invalid', ''],
        ['7', 'invalid', ''],
        ['8', 'duplicate', ''],
        ['9', 'opted-out', ''],
      ]);
      expect(await store.counts(settings.campaignId)).toMatchObject({
        delivered_email: 2,
        delivered_fax: 1,
        invalid: 3,
        duplicate: 1,
        'opted-out': 1,
        finished: 3,
      });
    },
  );

  it('falls back to fax when the email bounces', { timeout: 120_000 }, async () => {
    bounce.add('gone@example.com');
    const settings = await runCampaign('name,email,fax,balance\nGus,gone@example.com,+4930555103,7\n', {
      fallback: true,
    });
    await finished(settings.campaignId);
    expect(faxesReceived.get('+4930555103')).toHaveLength(1);
    expect(reportOf(settings.campaignId)[1]!.slice(0, 3)).toEqual(['2', 'delivered', 'fax']);
  });

  it(
    "holds a fax letter while the account's limits are used up and sends it once they turn",
    {
      timeout: 120_000,
    },
    async () => {
      limitReached.add('+4930555104');
      const settings = await runCampaign('name,email,fax,balance\nHans,,+4930555104,9\n');
      await finished(settings.campaignId);
      expect(limitRefusals).toEqual(['+4930555104']);
      expect(faxesReceived.get('+4930555104')).toHaveLength(1);
      expect(reportOf(settings.campaignId)[1]!.slice(0, 3)).toEqual(['2', 'delivered', 'fax']);
    },
  );

  it('reports letters never sent when the campaign is cancelled', { timeout: 60_000 }, async () => {
    let release!: () => void;
    holdEmails = new Promise((resolve) => (release = resolve));
    const list = [
      'name,email,balance',
      ...Array.from({ length: 20 }, (_, i) => `P${i},p${i}@example.com,${i}`),
    ].join('\n');
    const settings = await runCampaign(list, { window: 2 });
    await waitFor(() => mail.held >= 2, { what: 'two letters at the mail server' });
    await host.send(settings.campaignId, { type: 'cancel' });
    holdEmails = undefined;
    release();
    await finished(settings.campaignId);
    const results = reportOf(settings.campaignId)
      .slice(1)
      .map((row) => row[1]);
    expect(results.filter((r) => r === 'delivered')).toHaveLength(2);
    expect(results.filter((r) => r === 'cancelled')).toHaveLength(18);
  });
});
