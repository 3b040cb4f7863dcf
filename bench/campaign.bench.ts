// `npm run bench -- campaign [recipients] [window]`: one serial-letter campaign to `recipients` rows
// (default 100,000), every row by email (a Markdown letter: HTML body plus its PDF) to a local SMTP
// server over STARTTLS that accepts and discards, through the real campaign and recipient actors on
// real redis-server and nats-server, in this process. Prints `recipients`, `rows_per_s` (intake:
// list read, checked, de-duplicated, stored), `deliveries_per_s` (letters accepted by the server per
// second, from the end of intake to the report) and `peak_rss_mb` (this process: actors, rendering
// and the SMTP server together). Anchor, same run: nodemailer sending already-built messages of the
// same size straight to the same server (no actors, no personalisation), as messages per second.
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { connect } from '@nats-io/transport-node';
import { ActorHost, TerminalError } from '../cluster/index.ts';
import { AccountStore } from '../src/accounts/index.ts';
import { FaxArchive, FileBlobStore, parseKeyRing } from '../src/archive/index.ts';
import {
  CampaignMetrics,
  CampaignStore,
  CampaignTemplates,
  DomainThrottle,
  newCampaignId,
  registerCampaignEffects,
  registerLetterDeliveryEffects,
  stageCampaign,
} from '../src/campaigns/index.ts';
import { DocumentRenderer } from '../src/documents/index.ts';
import { MailReceipts, SmtpRelay } from '../src/email/index.ts';
import { compileLetterTemplate } from '../src/letters/index.ts';
import { createLogger, createMetricsRegistry } from '../src/observability/index.ts';
import { campaign, campaignRecipient } from '../src/workflows/index.ts';
import { ACME_ACCOUNT } from '../test/fixtures/accounts.ts';
import { makeTempDir, startNats, startRedis } from '../test/helpers/services.ts';
import { startSmtpSink } from '../test/helpers/smtp-sink.ts';
import { report } from './report.ts';

const TEMPLATE = `# Annual statement

Dear {{name}},

your balance on account {{account}} is **{{balance}} EUR**. Please find the details below.

- Statement date: 25 November 2026
- Reference: {{account}}

Kind regards,
*Accounts*
`;

function* rows(count: number): Generator<string> {
  yield 'name,email,account,balance\n';
  for (let i = 0; i < count; i += 1000) {
    let batch = '';
    for (let j = i; j < Math.min(count, i + 1000); j++)
      batch += `Recipient ${j},r${j}@d${j % 100}.example,AC-${100000 + j},${(j % 997) + 0.5}\n`;
    yield batch;
  }
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('the campaign did not finish in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function run(args: readonly string[]): Promise<void> {
  const recipients = Number(args[0] ?? 100_000);
  const window = Number(args[1] ?? 200);
  const quiet = createLogger({
    level: 'error',
    nodeName: 'bench',
    destination: new Writable({ write: (_chunk, _encoding, done) => done() }),
  });
  const [redisServer, natsServer] = await Promise.all([startRedis(), startNats()]);
  const mail = await startSmtpSink({ discard: true });
  const redis = new Redis(redisServer.url, { enableOfflineQueue: false });
  await new Promise((resolve) => redis.once('ready', resolve));
  const nats = await connect({ servers: natsServer.url });
  const archive = new FaxArchive(
    new FileBlobStore(makeTempDir('faxswitch-bench-archive-')),
    parseKeyRing(`bench:${randomBytes(32).toString('base64')}`, 'bench keys'),
  );
  const relay = new SmtpRelay({ url: mail.url, ca: mail.ca, maxConnections: 8 });
  const renderer = new DocumentRenderer({ workers: 1 });
  const store = new CampaignStore(redis);
  await new AccountStore(redis).save(ACME_ACCOUNT);
  const host = new ActorHost({
    redis,
    nats,
    prefix: 'bench',
    nodeName: 'bench',
    machines: [campaign, campaignRecipient],
    leaseTtlMs: 3_000,
    leaseRenewMs: 1_000,
    heartbeatMs: 1_000,
    nodeDeadAfterMs: 3_000,
  });
  const common = {
    host,
    store,
    receipts: new MailReceipts(redis),
    relay,
    from: 'letters@fax.example.net',
    messageIdDomain: 'fax.example.net',
    metrics: new CampaignMetrics(createMetricsRegistry('bench')),
    logger: quiet,
  };
  registerCampaignEffects({ ...common, archive, accounts: new AccountStore(redis) });
  registerLetterDeliveryEffects({
    ...common,
    templates: new CampaignTemplates(archive, renderer),
    throttle: new DomainThrottle(redis, 10_000),
    fax: {
      send: () => Promise.reject(new TerminalError('every row of this benchmark has an email address')),
    },
  });
  await host.start();
  try {
    const campaignId = newCampaignId(Date.now());
    const staged = await stageCampaign(archive, {
      campaignId,
      template: { name: 'statement.md', content: Buffer.from(TEMPLATE) },
      subject: 'Your statement, {{name}}',
      list: Readable.from(rows(recipients)),
    });
    const createdAt = Date.now();
    await store.create({
      ...staged,
      name: 'statement',
      accountId: 'acme',
      owner: 'office@acme.example',
      createdAt,
      subject: 'Your statement, {{name}}',
      emailMode: 'body',
      fallback: false,
      window,
    });
    const started = performance.now();
    await host.spawn('campaign', campaignId, { campaignId, createdAt });
    await until(async () => (await host.read(campaignId))?.value !== 'ingesting', 3_600_000);
    const intakeSeconds = (performance.now() - started) / 1000;
    const deliveringFrom = performance.now();
    await until(async () => (await host.read(campaignId))?.status === 'done', 6 * 3_600_000);
    const deliverySeconds = (performance.now() - deliveringFrom) / 1000;
    const counts = await store.counts(campaignId);
    const peakRssMb = process.resourceUsage().maxRSS / 1024;

    // Anchor: the same server, messages of the same size already built, no actors.
    const sample = Math.min(recipients, 10_000);
    const letter = await compileLetterTemplate(Buffer.from(TEMPLATE), {
      name: 'statement.md',
      allowedFields: ['name', 'email', 'account', 'balance'],
    }).personalise({ name: 'Recipient 1', email: 'r1@d1.example', account: 'AC-100001', balance: '1.5' });
    const anchorStart = performance.now();
    const inFlight = new Set<Promise<unknown>>();
    for (let i = 0; i < sample; i++) {
      const send = relay.send({
        from: 'letters@fax.example.net',
        to: `r${i}@d${i % 100}.example`,
        subject: 'Your statement',
        text: letter.text,
        html: letter.html,
        attachments: [{ filename: 'statement.pdf', content: Buffer.from(letter.pdf) }],
      });
      inFlight.add(send);
      void send.finally(() => inFlight.delete(send));
      if (inFlight.size >= window) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    const anchorRate = sample / ((performance.now() - anchorStart) / 1000);

    report({
      bench: 'campaign',
      metric: 'email_campaign',
      ours: (counts['delivered_email'] ?? 0) / deliverySeconds,
      anchor: 'nodemailer sending pre-built letters to the same server (messages/s)',
      anchor_value: anchorRate,
      recipients,
      delivered: counts['delivered_email'] ?? 0,
      messages_at_server: mail.discarded - sample,
      rows_per_s: Math.round(recipients / intakeSeconds),
      deliveries_per_s: Math.round(((counts['delivered_email'] ?? 0) / deliverySeconds) * 10) / 10,
      peak_rss_mb: Math.round(peakRssMb),
      window,
      intake_s: Math.round(intakeSeconds * 10) / 10,
      delivery_s: Math.round(deliverySeconds * 10) / 10,
    });
  } finally {
    await host.stop();
    await renderer.close();
    relay.close();
    await nats.close();
    redis.disconnect();
    await mail.close();
    await Promise.all([redisServer.dispose(), natsServer.dispose()]);
  }
}
