// Outbound retries on a simulated clock, with everything else real. The job's machine is driven the
// way the cluster host drives it (pure transitions; its durable timer fired by the test at the
// deadline the machine asks for), while each of its placeCall effects runs the real handlers: the
// dispatcher publishes to the JetStream work queue, the executor takes the work, claims the call and
// the number in Redis, builds the pages from the sealed archive and dials a real SIP peer through
// the embedded SIP server. The far ends: sipp playing a busy line, a congested carrier (503 with
// Retry-After) and a phone that rings and is never answered; and a SpanDSP fax machine that drops
// the line after page 2 of 5, then takes the resumed call.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  outboundFaxJobDeadline,
  outboundFaxJobMachine,
  outboundFaxJobStatus,
  type CallOutcome,
  type OutboundFaxJobInput,
  type RetryPolicy,
} from '../../../actors/index.ts';
import { WorkQueue, type ActorEvent, type ActorView } from '../../../cluster/index.ts';
import { ACME_ACCOUNT } from '../../fixtures/accounts.ts';
import { FaxArchive, FileBlobStore, parseKeyRing } from '../../../src/archive/index.ts';
import { bitmapsEqual, DocumentRenderer, type FaxPage } from '../../../src/documents/index.ts';
import {
  attemptPages,
  CallDispatcher,
  CallExecutor,
  CallSignals,
  FaxSubmissions,
  loadJob,
  OutboundMetrics,
  OutboundRecords,
  type JobActors,
  type PageLayout,
} from '../../../src/email2fax/index.ts';
import { DEFAULT_T38_PARAMS, MediaNode } from '../../../src/media/index.ts';
import { createLogger, createMetricsRegistry } from '../../../src/observability/index.ts';
import {
  ClusterPacer,
  DestinationKnowledge,
  DestinationLocks,
  ExpiringLocks,
} from '../../../src/outbound/index.ts';
import { startSipNode, type SipNode, type TrunkConfig } from '../../../src/sip/index.ts';
import { FarEnd } from '../../helpers/far-end.ts';
import { faxPdf } from '../../helpers/fax-documents.ts';
import { MachineDriver } from '../../helpers/machine-driver.ts';
import { makeTempDir, startNats, startRedis, uniqueNamespace, type TestServer } from '../../helpers/index.ts';
import { freeUdpPort, runSipp, waitForUdpListener } from '../sip/sipp.ts';

const T0 = Date.UTC(2026, 10, 23, 8, 0);
const LAYOUT: PageLayout = { resolution: 'standard', paperSize: 'a4' };
const quiet = createLogger({
  level: 'warn',
  nodeName: 'retries',
  destination: new Writable({ write: (_chunk, _encoding, done) => done() }),
});

/** One job's machine, as the host would run it: its pending effect keys, its epoch. */
class DrivenJob extends MachineDriver<typeof outboundFaxJobMachine> {
  readonly pending = new Set<string>();

  constructor(input: OutboundFaxJobInput) {
    super(outboundFaxJobMachine, input, {
      effects: ['placeCall', 'hangUp', 'reportStatus'],
      deadline: outboundFaxJobDeadline,
    });
  }

  get status(): string {
    return outboundFaxJobStatus(this.snapshot);
  }
}

/** The job actors the executor and dispatcher talk to: machine drivers instead of a host. */
class DrivenJobs implements JobActors {
  readonly jobs = new Map<string, DrivenJob>();

  read(jobId: string): Promise<ActorView | undefined> {
    const job = this.jobs.get(jobId);
    return Promise.resolve(
      job && {
        actorId: jobId,
        machine: 'outbound-fax-job',
        version: 1,
        seq: job.effects.length,
        epoch: 1,
        status: job.snapshot.status === 'done' ? 'done' : 'active',
        owner: 'test#1',
        value: job.snapshot.value,
        context: job.context,
        pendingEffects: [...job.pending],
      },
    );
  }

  send(jobId: string, event: ActorEvent): Promise<void> {
    this.jobs.get(jobId)?.send(event as never);
    return Promise.resolve();
  }
}

describe('outbound fax job retries, on a simulated clock against real SIP peers', () => {
  let redisServer: TestServer;
  let natsServer: TestServer;
  let redis: Redis;
  let nats: NatsConnection;
  let media: MediaNode;
  let sip: SipNode;
  let farEnd: FarEnd;
  let queue: WorkQueue;
  let signals: CallSignals;
  let executor: CallExecutor;
  let records: OutboundRecords;
  let archive: FaxArchive;
  let submissions: FaxSubmissions;
  let renderer: DocumentRenderer;
  let sippPort: number;
  let claims: ExpiringLocks;
  const namespace = uniqueNamespace('retries');
  const jobs = new DrivenJobs();
  /** The simulated clock: what the executor stamps outcomes with and the timer fires at. */
  let now = T0;

  const trunk = (name: string, proxy: string): TrunkConfig => ({
    name,
    proxy,
    codecs: ['PCMA', 'PCMU'],
    t38Policy: 'offer-on-reinvite',
    maxChannels: 2,
    callsPerSecond: 10,
    setupTimeoutMs: 2_000,
    answerTimeoutMs: 1_000,
  });

  beforeAll(async () => {
    [redisServer, natsServer] = await Promise.all([startRedis(), startNats()]);
    redis = new Redis(redisServer.url);
    nats = await connect({ servers: natsServer.url });
    farEnd = await FarEnd.open();
    sippPort = await freeUdpPort();
    media = await MediaNode.start({
      host: '127.0.0.1',
      portMin: 32_000,
      portMax: 32_399,
      maxChannels: 8,
      workers: 1,
    });
    const trunks = [trunk('sipp', `127.0.0.1:${sippPort}`), trunk('far-end', farEnd.proxy)];
    sip = await startSipNode({
      drachtio: {
        kind: 'embedded',
        server: { host: '127.0.0.1', secret: 'retries', controlPort: 0, sipUdpPort: 0, sipTcpPort: 0 },
      },
      trunks,
      inbound: {
        lookupDid: () => Promise.resolve('unknown'),
        unknownDidStatus: 404,
        hasCapacity: () => false,
        retryAfterSeconds: 30,
        t38Policy: 'offer-on-reinvite',
      },
      logger: quiet,
    });
    archive = new FaxArchive(
      new FileBlobStore(makeTempDir('faxswitch-archive-')),
      parseKeyRing(`k1:${randomBytes(32).toString('base64')}`, 'test keys'),
    );
    records = new OutboundRecords(redis, { namespace });
    renderer = new DocumentRenderer({ workers: 1 });
    submissions = new FaxSubmissions({
      renderer,
      records,
      archive,
      settings: { layout: LAYOUT, maxPages: 50, defaultCallerId: '+4930555000' },
    });
    queue = new WorkQueue({
      nats,
      stream: `${namespace}_outbound`,
      trunks: { sipp: { maxInFlight: 2 }, 'far-end': { maxInFlight: 2 } },
      ackWaitMs: 5_000,
    });
    await queue.ensure();
    signals = new CallSignals(nats, namespace);
    signals.start();
    claims = new ExpiringLocks(redis, { prefix: `${namespace}:call-claim`, ttlMs: 2_000 });
    executor = new CallExecutor({
      queue,
      trunks,
      slotsPerTrunk: 2,
      jobs,
      records,
      claims,
      destinations: new DestinationLocks(redis, { namespace, ttlMs: 2_000 }),
      pacer: new ClusterPacer(redis, { prefix: `${namespace}:pace` }),
      knowledge: new DestinationKnowledge(redis, { namespace }),
      archive,
      calls: sip.signalling,
      media,
      mediaAddress: '127.0.0.1',
      t38: DEFAULT_T38_PARAMS,
      callsDir: makeTempDir('faxswitch-calls-'),
      layout: LAYOUT,
      signals,
      nodeName: 'executor',
      logger: quiet,
      metrics: new OutboundMetrics(createMetricsRegistry('retries')),
      clock: () => now,
    });
    executor.start();
  });

  afterAll(async () => {
    await executor?.stop(Date.now());
    signals?.stop();
    await sip?.close();
    await media?.stop();
    await farEnd?.close();
    await renderer?.close();
    await nats?.close();
    redis?.disconnect();
    await Promise.all([redisServer?.dispose(), natsServer?.dispose()]);
  });

  /** A stored submission to `destination` and its job's machine, as the intake leaves them. */
  async function submitted(destination: string, file: string, policy: RetryPolicy): Promise<DrivenJob> {
    const documents = [
      {
        name: 'letter.pdf',
        contentType: 'application/pdf',
        content: readFileSync(file),
        source: 'attachment' as const,
      },
    ];
    const prepared = await submissions.preflight(documents, ACME_ACCOUNT);
    const { record } = await submissions.store(
      {
        accountId: 'acme',
        sender: 'alice@acme.example',
        recipients: [destination],
        subject: 'Letter',
        messageId: `<${randomBytes(6).toString('hex')}@acme.example>`,
        receivedAtMs: now,
        documents,
        pages: prepared.pages,
      },
      prepared,
    );
    const jobId = record.jobIds[0]!;
    const job = new DrivenJob({ jobId, destination, totalPages: prepared.pages, submittedAt: now, policy });
    jobs.jobs.set(jobId, job);
    return job;
  }

  /** The host's part: fire the durable timer at the deadline, run the placeCall effect, feed its outcome back. */
  async function nextCall(job: DrivenJob, dispatcher: CallDispatcher): Promise<CallOutcome> {
    now = job.deadline!;
    job.tick(now);
    expect(job.status).toBe('dialing');
    const key = `${job.context.jobId}:${job.effects.length}:0`;
    job.pending.add(key);
    const outcome = await dispatcher.place({
      actorId: job.context.jobId,
      key,
      epoch: 1,
      attempt: 1,
      params: job.last('placeCall'),
      signal: new AbortController().signal,
    });
    job.pending.delete(key);
    job.done('placeCall', outcome);
    return outcome;
  }

  function dispatcherFor(...trunkNames: string[]): CallDispatcher {
    return new CallDispatcher({
      queue,
      trunks: trunkNames,
      records,
      claims,
      signals,
      jobs,
      logger: quiet,
      pollMs: 200,
    });
  }

  it(
    'redials a busy line after 180 s, a congested carrier when its Retry-After says, no answer after 300 s; gives up after max dials',
    { timeout: 120_000 },
    async () => {
      const policy = { ...DEFAULT_RETRY_POLICY, maxDials: 5 };
      const job = await submitted('+49301234601', faxPdf(1), policy);
      const dispatcher = dispatcherFor('sipp');
      const schedule: { outcome: string; waitMs: number | undefined }[] = [];
      for (const scenario of [
        'uas-busy.xml',
        'uas-busy.xml',
        'uas-unavailable-retry-after.xml',
        'uas-ring-no-answer.xml',
        'uas-ring-no-answer.xml',
      ]) {
        const carrier = runSipp(scenario, { localPort: sippPort });
        await waitForUdpListener(sippPort);
        const outcome = await nextCall(job, dispatcher);
        const run = await carrier;
        expect(run.code, run.errors).toBe(0);
        schedule.push({
          outcome: outcome.kind,
          waitMs: job.status === 'willretry' ? job.deadline! - outcome.endedAt : undefined,
        });
        expect(job.context.dials).toBe(schedule.length);
      }
      expect(schedule).toEqual([
        { outcome: 'busy', waitMs: 180_000 },
        { outcome: 'busy', waitMs: 180_000 },
        { outcome: 'congestion', waitMs: 30_000 },
        { outcome: 'no-answer', waitMs: 300_000 },
        { outcome: 'no-answer', waitMs: undefined },
      ]);
      expect(job.status).toBe('failed');
      expect(job.last('reportStatus')).toMatchObject({
        result: 'failed',
        dials: 5,
        pagesConfirmed: 0,
        reason: 'no answer; gave up after 5 dials',
      });
      const attempts = await records.attempts(job.context.jobId);
      expect(attempts.map((a) => a.outcome.kind)).toEqual([
        'busy',
        'busy',
        'congestion',
        'no-answer',
        'no-answer',
      ]);
      expect(attempts.every((a) => a.trunk === 'sipp' && a.connectedMs === 0)).toBe(true);
    },
  );

  it(
    'resends from page 3 after the line drops following page 2 of 5: the far end ends with pages 1–5 once',
    { timeout: 300_000 },
    async () => {
      const destination = '+49301234602';
      let dropNextCall = true;
      farEnd.behave((offer) => {
        if (offer.did !== destination || !dropNextCall) return {};
        dropNextCall = false;
        return { dropAfterPage: 2 };
      });
      const job = await submitted(destination, faxPdf(5), DEFAULT_RETRY_POLICY);
      const dispatcher = dispatcherFor('far-end');

      const dropped = await nextCall(job, dispatcher);
      expect(dropped).toMatchObject({ kind: 'fax-failed', retryable: true });
      expect(job.context.pagesConfirmed).toBe(2);
      expect(job.status).toBe('willretry');
      expect(job.deadline! - dropped.endedAt).toBe(60_000); // protocol error: HylaFAX's 60 s
      expect(job.last('placeCall')).toMatchObject({ fromPage: 1 });

      const resumed = await nextCall(job, dispatcher);
      expect(job.effects.filter((e) => e.type === 'placeCall').at(-1)?.params).toMatchObject({
        fromPage: 3,
        continuation: true,
      });
      expect(resumed.kind).toBe('completed');
      expect(job.status).toBe('sent');
      expect(job.last('reportStatus')).toMatchObject({ result: 'sent', pagesConfirmed: 5, dials: 2 });

      // What the far end holds: call 1 pages 1–2; call 2 the continuation cover, then pages 3–5.
      const { job: record, submission, pages } = await loadJob(records, archive, job.context.jobId, LAYOUT);
      const calls = await farEnd.waitForFaxesTo(destination, 2);
      expect(calls).toHaveLength(2);
      expect(calls[0]!.pages).toHaveLength(2);
      expect(calls[1]!.pages).toHaveLength(4);
      const cover = (await attemptPages(pages, 3, { job: record, submission }, LAYOUT)).pages[0]!;
      expect(bitmapsEqual(calls[1]!.pages[0]!, cover)).toBe(true);
      const received: FaxPage[] = [...calls[0]!.pages, ...calls[1]!.pages.slice(1)];
      expect(received).toHaveLength(5);
      received.forEach((page, index) =>
        expect(bitmapsEqual(page, pages[index]!), `page ${index + 1}`).toBe(true),
      );
      const attempts = await records.attempts(job.context.jobId);
      expect(attempts.map((a) => [a.fromPage, a.outcome.kind])).toEqual([
        [1, 'fax-failed'],
        [3, 'completed'],
      ]);
    },
  );

  it(
    'fails over to the next trunk when a carrier is unavailable (503), within the same dial',
    { timeout: 180_000 },
    async () => {
      const carrier = runSipp('uas-unavailable-retry-after.xml', { localPort: sippPort });
      await waitForUdpListener(sippPort);
      const job = await submitted('+49301234603', faxPdf(1), DEFAULT_RETRY_POLICY);
      const outcome = await nextCall(job, dispatcherFor('sipp', 'far-end'));
      expect((await carrier).code).toBe(0);
      expect(outcome.kind).toBe('completed');
      expect(job.status).toBe('sent');
      expect(job.context.dials).toBe(1);
      const attempts = await records.attempts(job.context.jobId);
      expect(attempts.map((a) => [a.trunk, a.outcome.kind])).toEqual([
        ['sipp', 'congestion'],
        ['far-end', 'completed'],
      ]);
    },
  );
});
