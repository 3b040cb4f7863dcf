// `npm run bench -- inbound [faxes] [concurrency] [dids]`: Fax2Email on one node.
//  1. Faxes per minute: `faxes` one-page T.38 faxes, `concurrency` at a time, from a FaxStation of
//     far-end fax machines in this process to a `faxswitch start` node (its own process, real Redis
//     and NATS, a real SMTP server over STARTTLS), counted when each email is accepted; and p99 from
//     the end of each call to its email's acceptance. Anchor, same run: the same faxes to a plain
//     answering FaxStation (SpanDSP over SIP, no switch: no actors, archive or email). Both ends of
//     every fax run on this machine, which doubles the media load.
//  2. DID bulk import (numbers/s) of `dids` numbers as CSV through the registry (parse, validate,
//     pipelined writes) against pipelined raw SETs of the same records.
//  3. DID lookup p99 (call set-up's question) against a raw GET of the same keys.
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { DidRegistry } from '../src/dids/index.ts';
import { FaxStation } from '../src/fax-call/index.ts';
import { DEFAULT_T38_PARAMS } from '../src/media/index.ts';
import { createLogger } from '../src/observability/index.ts';
import { CLUSTER_PREFIX } from '../src/switch/index.ts';
import { faxDocument } from '../test/helpers/fax-documents.ts';
import { startFaxCluster, startFaxNode } from '../test/helpers/fax-node.ts';
import { makeTempDir, startRedis } from '../test/helpers/services.ts';
import { startSmtpSink } from '../test/helpers/smtp-sink.ts';
import { report } from './report.ts';

const NUMBER = '+4930555100';

const quiet = createLogger({
  level: 'error',
  nodeName: 'bench',
  destination: new Writable({ write: (_chunk, _encoding, done) => done() }),
});

interface FaxRun {
  readonly completed: number;
  readonly wallSeconds: number;
  /** Sender-side end of each successful call, by caller number. */
  readonly endedAt: ReadonlyMap<string, number>;
}

/** Sends `faxes` faxes, `concurrency` at a time, from one station through `proxy`. */
async function sendFaxes(
  proxy: string,
  faxes: number,
  concurrency: number,
  document: string,
): Promise<FaxRun> {
  const station = await FaxStation.open({
    host: '127.0.0.1',
    maxCalls: concurrency,
    mediaPorts: { min: 24_000, max: 27_999 },
    proxy,
    t38: DEFAULT_T38_PARAMS,
    logger: quiet,
  });
  const endedAt = new Map<string, number>();
  let next = 0;
  let completed = 0;
  const started = performance.now();
  const caller = async (): Promise<void> => {
    while (next < faxes) {
      const callerId = `+494000${String(next++).padStart(5, '0')}`;
      try {
        const outcome = await station.send({
          to: NUMBER,
          callerId,
          job: { direction: 'send', file: document, ecm: true },
          timeoutMs: 180_000,
        });
        if (outcome.result.ok) {
          completed += 1;
          endedAt.set(callerId, Date.now());
        }
      } catch {
        // a refused or failed call counts as not completed
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  const wallSeconds = (performance.now() - started) / 1000;
  await station.close();
  return { completed, wallSeconds, endedAt };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function faxThroughput(faxes: number, concurrency: number): Promise<void> {
  const document = faxDocument('standard', 1);
  const mail = await startSmtpSink();
  const cluster = await startFaxCluster(mail);
  // Room beyond the concurrency: a call's slot frees only when its far end has hung up too.
  const node = await startFaxNode(cluster, 'bench-node', { FAXSWITCH_MAX_CHANNELS: String(concurrency * 2) });
  const redis = new Redis(cluster.redis.url);
  try {
    await new DidRegistry(redis, { namespace: CLUSTER_PREFIX }).add({
      number: NUMBER,
      account: 'bench',
      recipients: ['office@bench.example'],
    });
    const proxy = node.sipUri(NUMBER).replace(/^sip:[^@]*@/, '');
    const started = Date.now();
    const ours = await sendFaxes(proxy, faxes, concurrency, document);
    const deadline = Date.now() + 120_000;
    while (mail.received.length < ours.completed && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    const lastEmail = Math.max(started, ...mail.received.map((email) => email.acceptedAt));
    const latencies = mail.received.flatMap((email) => {
      const caller = /^Fax from (\S+)/.exec(email.parsed.subject ?? '')?.[1];
      const ended = caller === undefined ? undefined : ours.endedAt.get(caller);
      return ended === undefined ? [] : [(email.acceptedAt - ended) / 1000];
    });

    const answering = await FaxStation.open({
      host: '127.0.0.1',
      maxCalls: concurrency * 2,
      mediaPorts: { min: 28_000, max: 31_999 },
      mediaWorkers: 2,
      t38: DEFAULT_T38_PARAMS,
      logger: quiet,
    });
    let received = 0;
    const inbox = makeTempDir('faxswitch-bench-rx-');
    answering.answer(
      (offer) => ({
        job: { direction: 'receive', file: path.join(inbox, `${offer.callId}.tif`) },
        timeoutMs: 180_000,
      }),
      (outcome) => void (outcome.result.ok && (received += 1)),
      () => undefined,
    );
    const anchor = await sendFaxes(`127.0.0.1:${answering.listening.udpPort}`, faxes, concurrency, document);
    // The answering side finishes each call after the caller's BYE.
    const drained = Date.now() + 10_000;
    while (received < anchor.completed && Date.now() < drained) await new Promise((r) => setTimeout(r, 100));
    await answering.close();

    const perMinute = (ours.completed * 60) / ((lastEmail - started) / 1000);
    report({
      bench: 'inbound',
      metric: 'faxes_per_minute',
      ours: perMinute,
      anchor: 'SpanDSP answering station, no switch (faxes received per minute)',
      anchor_value: (anchor.completed * 60) / anchor.wallSeconds,
      faxes,
      concurrency,
      emails: mail.received.length,
      completed_calls: ours.completed,
      anchor_received: received,
      pages_per_fax: 1,
      both_ends_on_this_node: true,
    });
    report({
      bench: 'inbound',
      metric: 'end_of_call_to_email_p99_s',
      ours: percentile(latencies, 99),
      p50_s: Math.round(percentile(latencies, 50) * 1000) / 1000,
      max_s: Math.round(Math.max(...latencies) * 1000) / 1000,
      samples: latencies.length,
    });
  } finally {
    redis.disconnect();
    node.child.kill('SIGTERM');
    await new Promise((resolve) => node.child.once('exit', resolve));
    await cluster.dispose();
    await mail.close();
  }
}

function* csvRows(count: number): Generator<string> {
  yield 'number,active,account,recipients,format,station_id,retention\n';
  const batch: string[] = [];
  for (let i = 0; i < count; i++) {
    batch.push(`+1555${String(i).padStart(7, '0')},true,acct${i % 1000},fax${i}@example.com,pdf,,30d\n`);
    if (batch.length === 1000) yield batch.splice(0).join('');
  }
  if (batch.length > 0) yield batch.join('');
}

async function didBenchmarks(count: number): Promise<void> {
  const server = await startRedis();
  const redis = new Redis(server.url);
  try {
    const registry = new DidRegistry(redis, { namespace: 'bench-dids' });
    let started = performance.now();
    const imported = await registry.importCsv(Readable.from(csvRows(count)));
    const importSeconds = (performance.now() - started) / 1000;

    // Anchor: the same JSON records, written with pipelined SETs and no parsing or validation.
    started = performance.now();
    for (let i = 0; i < count; i += 1000) {
      const pipeline = redis.pipeline();
      for (let j = i; j < Math.min(count, i + 1000); j++) {
        const number = `+1555${String(j).padStart(7, '0')}`;
        pipeline.set(
          `bench-raw:did:${number}`,
          JSON.stringify({
            v: 1,
            number,
            active: true,
            account: `acct${j % 1000}`,
            recipients: [`fax${j}@example.com`],
          }),
        );
      }
      await pipeline.exec();
    }
    const rawSeconds = (performance.now() - started) / 1000;
    report({
      bench: 'inbound',
      metric: 'did_import_numbers_per_s',
      ours: imported.imported / importSeconds,
      anchor: 'pipelined raw SET of the same records',
      anchor_value: count / rawSeconds,
      numbers: count,
      rejected: imported.rejected,
    });

    const lookups = 20_000;
    const numbers = Array.from(
      { length: lookups },
      () => `+1555${String(Math.floor(Math.random() * count)).padStart(7, '0')}`,
    );
    const ours: number[] = [];
    for (const number of numbers) {
      const at = performance.now();
      await registry.lookup(number);
      ours.push(performance.now() - at);
    }
    const raw: number[] = [];
    for (const number of numbers) {
      const at = performance.now();
      await redis.get(`bench-raw:did:${number}`);
      raw.push(performance.now() - at);
    }
    report({
      bench: 'inbound',
      metric: 'did_lookup_p99_ms',
      ours: percentile(ours, 99),
      anchor: 'raw GET p99',
      anchor_value: percentile(raw, 99),
      higherIsBetter: false,
      p50_ms: Math.round(percentile(ours, 50) * 1000) / 1000,
      lookups,
      numbers: count,
    });
  } finally {
    redis.disconnect();
    await server.dispose();
  }
}

export async function run(args: readonly string[]): Promise<void> {
  const faxes = Number(args[0] ?? 40);
  const concurrency = Number(args[1] ?? 20);
  const dids = Number(args[2] ?? 1_000_000);
  await didBenchmarks(dids);
  await faxThroughput(faxes, concurrency);
}
