// `npm run bench -- smtp [messages] [connections]`: the Email2Fax submission intake. nodemailer
// clients send `messages` messages, `connections` at a time over pooled STARTTLS + AUTH sessions,
// each carrying a 1 MB PDF (two scanned-looking pages); a message counts when its 250 arrives.
//   ours:   the intake as a node runs it — parse, render both pages in render processes, seal the
//           pages in the archive, write the records, spawn the job's actor (fenced Lua commit),
//           and only then 250 (test/helpers/email2fax-intake.ts; no call is placed);
//   anchor: smtp-server with the same STARTTLS and AUTH that reads each message and discards it.
// Results: messages per second (ratio = ours ÷ anchor) and p99 time from the end of DATA being
// sent to the 250 (ratio = anchor ÷ ours). Both ends run on this machine.
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { SMTPServer } from 'smtp-server';
import { startIntakeUnderTest, INTAKE_FAX_DOMAIN, INTAKE_LOGIN } from '../test/helpers/email2fax-intake.ts';
import { startNats, startRedis } from '../test/helpers/services.ts';
import { localhostCertificate } from '../test/helpers/tls.ts';
import { report } from './report.ts';

/** A PDF of about 1 MB: two A4 pages, each a noisy greyscale JPEG the way scanners produce them. */
async function scannedPdf(): Promise<Buffer> {
  const document = await PDFDocument.create();
  for (let page = 0; page < 2; page++) {
    const width = 1240;
    const height = 1754;
    const pixels = Buffer.alloc(width * height);
    let seed = 12_345 + page;
    for (let i = 0; i < pixels.length; i++) {
      seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
      // Paper with text-like dark strokes and scanner noise.
      const row = Math.floor(i / width);
      const inLine = row % 40 < 12 && i % width > 120 && i % width < width - 120;
      pixels[i] = inLine && seed % 3 === 0 ? 30 : 230 + (seed % 25);
    }
    const jpeg = await sharp(pixels, { raw: { width, height, channels: 1 } })
      .jpeg({ quality: 70 })
      .toBuffer();
    const image = await document.embedJpg(jpeg);
    document.addPage([595.28, 841.89]).drawImage(image, { x: 0, y: 0, width: 595.28, height: 841.89 });
  }
  return Buffer.from(await document.save());
}

/** An smtp-server with STARTTLS and AUTH that takes every message and throws it away. */
async function discardingServer(): Promise<{ port: number; close(): Promise<void> }> {
  const { key, cert } = localhostCertificate();
  const server = new SMTPServer({
    key,
    cert,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    size: 25 * 1024 * 1024,
    onAuth: (_auth, _session, callback) => callback(null, { user: 'anyone' }),
    onData(stream, _session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => callback());
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Run {
  readonly perSecond: number;
  readonly p99Ms: number;
  readonly p50Ms: number;
  readonly refused: number;
}

/** Sends `messages` messages over `connections` pooled sessions; each is timed to its 250. */
async function sendAll(
  port: number,
  pdf: Buffer,
  messages: number,
  connections: number,
  label: string,
): Promise<Run> {
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: connections,
    maxMessages: Number.POSITIVE_INFINITY,
    host: '127.0.0.1',
    port,
    secure: false,
    requireTLS: true,
    tls: { ca: localhostCertificate().cert, servername: 'localhost' },
    auth: INTAKE_LOGIN,
  });
  const send = async (index: number): Promise<number> => {
    const started = performance.now();
    await transport.sendMail({
      from: INTAKE_LOGIN.user,
      to: `+4930${String(1_234_000 + index).padStart(7, '0')}@${INTAKE_FAX_DOMAIN}`,
      subject: `Scan ${index}`,
      messageId: `<${label}-${index}-${Date.now()}@acme.example>`,
      attachments: [{ filename: 'scan.pdf', content: pdf }],
    });
    return performance.now() - started;
  };
  // Warm-up: every pooled session (TLS, AUTH) and every render process started once.
  await Promise.all(Array.from({ length: connections }, (_, i) => send(-1 - i)));
  const latencies: number[] = [];
  let refused = 0;
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < messages) {
      const index = next++;
      try {
        latencies.push(await send(index));
      } catch {
        refused += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  transport.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { perSecond: latencies.length / seconds, p99Ms: at(0.99), p50Ms: at(0.5), refused };
}

export async function run(args: readonly string[]): Promise<void> {
  const messages = Number(args[0] ?? 40);
  const connections = Number(args[1] ?? 4);
  const [redis, nats] = await Promise.all([startRedis(), startNats()]);
  const pdf = await scannedPdf();
  const anchor = await discardingServer();
  const intake = await startIntakeUnderTest({
    redisUrl: redis.url,
    natsUrl: nats.url,
    renderWorkers: 2,
    maxClients: connections * 2,
  });
  try {
    // The intake's limits are per account: give the benchmark room.
    await intake.accounts.save({
      ...(await intake.accounts.get('acme'))!,
      limits: { faxesPerHour: 1_000_000, pagesPerDay: 1_000_000 },
    });
    const discarded = await sendAll(anchor.port, pdf, messages, connections, 'anchor');
    const accepted = await sendAll(intake.port, pdf, messages, connections, 'ours');
    const common = { message_bytes: pdf.length, pages_per_message: 2, messages, connections };
    report({
      bench: 'smtp',
      metric: 'messages_accepted_durably_per_s',
      ours: accepted.perSecond,
      anchor: 'smtp-server accept-and-discard (STARTTLS+AUTH)',
      anchor_value: discarded.perSecond,
      refused: accepted.refused,
      ...common,
    });
    report({
      bench: 'smtp',
      metric: 'p99_ms_to_250',
      ours: accepted.p99Ms,
      anchor: 'smtp-server accept-and-discard (STARTTLS+AUTH)',
      anchor_value: discarded.p99Ms,
      higherIsBetter: false,
      p50_ms: Math.round(accepted.p50Ms),
      anchor_p50_ms: Math.round(discarded.p50Ms),
      ...common,
    });
  } finally {
    await intake.close();
    await anchor.close();
    await Promise.all([redis.dispose(), nats.dispose()]);
  }
}
