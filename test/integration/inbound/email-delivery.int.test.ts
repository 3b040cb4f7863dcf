// The fax email delivery as the cluster runs it — a real actor host on redis-server and nats-server,
// the sealed archive on disk, and a real SMTP server over STARTTLS — without a call in front: the
// test stores a received fax's pages and record the way the reception does, then spawns the delivery.
// Checked: PDF and TIFF attachments equal the pages (TIFF also through libtiff); an OpenPGP number
// gets an RFC 3156 message that gpg decrypts to the fax while the archive keeps only ciphertext;
// temporary refusals are retried on the schedule and end in one email; a permanent refusal is
// recorded with the server's words; delete-after-delivery and retention remove the content.
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorHost } from '../../../cluster/index.ts';
import { FaxArchive, FileBlobStore, parseKeyRing } from '../../../src/archive/index.ts';
import { bitmapsEqual, readTiff, writeTiff, type FaxPage } from '../../../src/documents/index.ts';
import {
  compileFaxEmailTemplates,
  DEFAULT_FAX_EMAIL_TEMPLATES,
  SmtpRelay,
} from '../../../src/email/index.ts';
import {
  deliveryActorId,
  FaxRecords,
  InboundMetrics,
  pageObjectId,
  registerEmailDeliveryEffects,
  RetentionSweeper,
  WebhookNotifier,
  type InboundFaxRecord,
} from '../../../src/inbound/index.ts';
import { Secret } from '../../../src/config/index.ts';
import { createLogger, createMetricsRegistry } from '../../../src/observability/index.ts';
import { faxEmailDelivery } from '../../../src/workflows/index.ts';
import { faxDocument, pdfPagesByPoppler, tiffPage } from '../../helpers/fax-documents.ts';
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

const DOCUMENT_PAGES = 2;
const WEBHOOK_SECRET = 'whsec-test';

describe('fax email delivery', () => {
  let redisServer: TestServer;
  let natsServer: TestServer;
  let redis: Redis;
  let nats: NatsConnection;
  let host: ActorHost;
  let archive: FaxArchive;
  let archiveDir: string;
  let records: FaxRecords;
  let relay: SmtpRelay;
  let mail: SmtpSink;
  const refusals: { code: number; text: string }[] = [];
  let webhook: Server;
  const notifications: { signature: string; body: string }[] = [];
  const namespace = uniqueNamespace('delivery');
  const document = faxDocument('standard', DOCUMENT_PAGES);
  const sentPages: FaxPage[] = [tiffPage(document, 1), tiffPage(document, 2)];

  beforeAll(async () => {
    [redisServer, natsServer] = await Promise.all([startRedis(), startNats()]);
    mail = await startSmtpSink({ refuse: () => refusals.shift() });
    redis = new Redis(redisServer.url, { enableOfflineQueue: false });
    await new Promise((resolve) => redis.once('ready', resolve));
    nats = await connect({ servers: natsServer.url });
    archiveDir = makeTempDir('faxswitch-archive-');
    archive = new FaxArchive(
      new FileBlobStore(archiveDir),
      parseKeyRing(`k1:${randomBytes(32).toString('base64')}`, 'test keys'),
    );
    records = new FaxRecords(redis, { namespace });
    relay = new SmtpRelay({ url: mail.url, ca: mail.ca });
    host = new ActorHost({
      redis,
      nats,
      prefix: namespace,
      nodeName: 'mail',
      machines: [faxEmailDelivery],
      ...FAST,
    });
    registerEmailDeliveryEffects({
      host,
      records,
      archive,
      relay,
      templates: compileFaxEmailTemplates(DEFAULT_FAX_EMAIL_TEMPLATES),
      from: 'fax@fax.example.net',
      faxDomain: 'fax.example.net',
      metrics: new InboundMetrics(createMetricsRegistry('test')),
      webhooks: new WebhookNotifier({
        secret: new Secret(WEBHOOK_SECRET),
        logger: createLogger({ level: 'silent', nodeName: 'test' }),
      }),
      logger: createLogger({ level: 'silent', nodeName: 'test' }),
    });
    await host.start();
    webhook = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        notifications.push({
          signature: String(request.headers['x-faxswitch-signature']),
          body: Buffer.concat(chunks).toString(),
        });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    webhook?.close();
    await host?.stop();
    relay?.close();
    await nats?.close();
    redis?.disconnect();
    await mail?.close();
    await Promise.all([redisServer?.dispose(), natsServer?.dispose()]);
  });

  /** A fax as the reception leaves it: each page sealed as a one-page TIFF, and its record. */
  async function receivedFax(settings: Partial<InboundFaxRecord> = {}): Promise<InboundFaxRecord> {
    const faxId = `in-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    const pages: string[] = [];
    for (const [index, page] of sentPages.entries()) {
      const objectId = pageObjectId(faxId, index + 1);
      await archive.put(objectId, Buffer.from(writeTiff([page])));
      pages.push(objectId);
    }
    const record: InboundFaxRecord = {
      faxId,
      did: '+4930555030',
      account: 'acme',
      caller: '+4940222',
      recipients: ['office@acme.example'],
      attachmentFormat: 'pdf',
      retention: { days: 30 },
      answeredAt: Date.now() - 60_000,
      node: 'test',
      status: 'delivering',
      reception: {
        outcome: 'complete',
        pages,
        remoteStationId: 'REMOTE',
        durationMs: 42_000,
        bitRate: 14_400,
        ecm: true,
        result: 'OK',
        endedAt: Date.now() - 18_000,
      },
      ...settings,
    };
    await records.create(record);
    return record;
  }

  async function deliver(record: InboundFaxRecord, firstRetryMs = 60_000): Promise<InboundFaxRecord> {
    await host.spawn('fax-email-delivery', deliveryActorId(record.faxId), {
      faxId: record.faxId,
      handedOverAt: Date.now(),
      deleteAfterDelivery: record.retention === 'delete-after-delivery',
      policy: { firstRetryMs, maxRetryMs: firstRetryMs * 4, giveUpAfterMs: 3_600_000 },
    });
    return waitFor(
      async () => {
        const view = await host.read(deliveryActorId(record.faxId));
        return view?.status === 'done' ? await records.get(record.faxId) : undefined;
      },
      { timeoutMs: 20_000, what: `delivery of ${record.faxId} to finish` },
    );
  }

  /** The archive objects of one fax, as files on disk (names only: content is sealed). */
  function storedObjects(faxId: string): string[] {
    const found: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(path.join(dir, entry.name));
        else if (entry.name.startsWith(faxId)) found.push(path.join(dir, entry.name));
      }
    };
    walk(archiveDir);
    return found;
  }

  it('attaches PDF and TIFF equal to the pages, schedules retention, and signs the webhook', async () => {
    const webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/fax`;
    const fax = await receivedFax({ attachmentFormat: 'both', webhookUrl });
    const before = mail.received.length;
    const done = await deliver(fax);
    expect(done).toMatchObject({ status: 'delivered', delivery: { result: 'delivered' } });
    const email = (await mail.waitForMessages(before + 1)).at(-1)!;
    expect(email.parsed.messageId).toBe(`<fax-${fax.faxId}@fax.example.net>`);
    const pdf = email.parsed.attachments.find((a) => a.contentType === 'application/pdf')!;
    const tiff = email.parsed.attachments.find((a) => a.contentType === 'image/tiff')!;
    pdfPagesByPoppler(pdf.content, 'standard').forEach((page, i) =>
      expect(bitmapsEqual(page, sentPages[i]!)).toBe(true),
    );
    const tiffFile = path.join(makeTempDir(), 'fax.tif');
    writeFileSync(tiffFile, tiff.content);
    expect(
      execFileSync('tiffinfo', ['-D', tiffFile], { stdio: ['ignore', 'pipe', 'pipe'] }).toString(),
    ).toMatch(/CCITT Group 4/);
    readTiff(tiff.content).forEach((page, i) => expect(bitmapsEqual(page, sentPages[i]!)).toBe(true));
    expect(await redis.zscore(`${namespace}:inbound:expiry`, fax.faxId)).toBe(
      String(fax.answeredAt + 30 * 86_400_000),
    );
    const [notification] = notifications;
    expect(JSON.parse(notification!.body)).toMatchObject({
      event: 'fax.received',
      faxId: fax.faxId,
      status: 'delivered',
      pages: 2,
      outcome: 'complete',
    });
    const [, timestamp, mac] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(notification!.signature)!;
    expect(mac).toBe(
      createHmac('sha256', WEBHOOK_SECRET).update(`${timestamp}.${notification!.body}`).digest('hex'),
    );
  });

  it('retries temporary refusals on its schedule and sends once', async () => {
    const fax = await receivedFax();
    const before = mail.received.length;
    refusals.push({ code: 451, text: 'greylisted, try later' }, { code: 421, text: 'too busy' });
    const done = await deliver(fax, 300);
    expect(done?.status).toBe('delivered');
    expect(mail.received.length).toBe(before + 1);
    const view = await host.read(deliveryActorId(fax.faxId));
    expect(view?.context).toMatchObject({ attempts: 3 });
  });

  it('records a permanent refusal with the server’s words', async () => {
    const fax = await receivedFax();
    refusals.push({ code: 550, text: 'mailbox unavailable' });
    const done = await deliver(fax);
    expect(done).toMatchObject({ status: 'undeliverable', delivery: { result: 'failed' } });
    expect(done?.delivery?.reply).toMatch(/550.*mailbox unavailable/);
  });

  it('deletes the content after delivery when the number asks for it', async () => {
    const fax = await receivedFax({ retention: 'delete-after-delivery' });
    const done = await deliver(fax);
    expect(done?.status).toBe('delivered');
    expect(done?.purgedAt).toBeDefined();
    expect(storedObjects(fax.faxId)).toEqual([]);
  });

  it('deletes content whose retention has run out, and keeps the record', async () => {
    const fax = await receivedFax();
    await deliver(fax);
    expect(storedObjects(fax.faxId).length).toBeGreaterThan(0);
    const sweeper = new RetentionSweeper(
      records,
      archive,
      createLogger({ level: 'silent', nodeName: 'test' }),
      () => fax.answeredAt + 31 * 86_400_000,
    );
    expect(await sweeper.sweep()).toBeGreaterThanOrEqual(1);
    expect(storedObjects(fax.faxId)).toEqual([]);
    expect((await records.get(fax.faxId))?.purgedAt).toBeDefined();
  });

  it('encrypts to the number’s OpenPGP key; gpg opens it; the archive keeps only ciphertext', async () => {
    const gnupgHome = makeTempDir('faxswitch-gpg-');
    const gpg = (args: string[], input?: Buffer): Buffer =>
      execFileSync('gpg', ['--homedir', gnupgHome, '--batch', '--quiet', ...args], {
        input,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    gpg([
      '--passphrase',
      '',
      '--quick-gen-key',
      'Office <office@acme.example>',
      'future-default',
      'default',
      'never',
    ]);
    const publicKey = gpg(['--armor', '--export', 'office@acme.example']).toString();
    const fax = await receivedFax({ pgpPublicKey: publicKey });
    const before = mail.received.length;
    expect((await deliver(fax))?.status).toBe('delivered');
    const email = (await mail.waitForMessages(before + 1)).at(-1)!;
    expect(email.parsed.headers.get('content-type')).toMatchObject({
      value: 'multipart/encrypted',
      params: { protocol: 'application/pgp-encrypted' },
    });
    expect(email.raw.includes('%PDF')).toBe(false);
    const armored = email.parsed.attachments.find((a) => a.filename === 'encrypted.asc')!.content;
    const inner = await simpleParser(gpg(['--decrypt'], armored));
    const pdf = inner.attachments.find((a) => a.contentType === 'application/pdf')!;
    pdfPagesByPoppler(pdf.content, 'standard').forEach((page, i) =>
      expect(bitmapsEqual(page, sentPages[i]!)).toBe(true),
    );
    // Nothing the switch could open is left: only the encrypted email, sealed like everything else.
    const objects = storedObjects(fax.faxId).map((file) => path.basename(file));
    expect(objects).toEqual([`${fax.faxId}.pgp.eml`]);
    const sealed = readFileSync(storedObjects(fax.faxId)[0]!);
    expect(sealed.includes('PGP MESSAGE')).toBe(false);
  });
});
