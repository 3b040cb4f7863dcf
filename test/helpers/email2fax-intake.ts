// The Email2Fax intake as a node runs it — the submission SMTP service, the preflight in render
// processes, the sealed archive, Redis records and a real actor host that spawns each job — with no
// call executor: jobs stay queued in JetStream, exactly where a node with every channel busy keeps
// them. For tests of what 250 means, and for the SMTP benchmark.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { SMTPServer } from 'smtp-server';
import { DEFAULT_RETRY_POLICY } from '../../actors/index.ts';
import { ActorHost, WorkQueue } from '../../cluster/index.ts';
import { AccountStore } from '../../src/accounts/index.ts';
import { FaxArchive, FileBlobStore, parseKeyRing } from '../../src/archive/index.ts';
import { DocumentRenderer } from '../../src/documents/index.ts';
import {
  compileStatusEmailTemplates,
  createSubmissionServer,
  DEFAULT_STATUS_EMAIL_TEMPLATES,
  MailReceipts,
} from '../../src/email/index.ts';
import {
  CallDispatcher,
  CallSignals,
  FaxSubmissions,
  JobLauncher,
  OUTBOUND_FAX_JOB,
  OutboundMetrics,
  OutboundRecords,
  registerReportEffects,
} from '../../src/email2fax/index.ts';
import { createLogger, createMetricsRegistry } from '../../src/observability/index.ts';
import { ExpiringLocks } from '../../src/outbound/index.ts';
import { faxJobReport, outboundFaxJob } from '../../src/workflows/index.ts';
import { ACME_ACCOUNT } from '../fixtures/accounts.ts';
import { makeTempDir } from './services.ts';
import { localhostCertificate } from './tls.ts';
import { uniqueNamespace } from './namespace.ts';

export const INTAKE_FAX_DOMAIN = 'fax.example';
export const INTAKE_LOGIN = { user: 'alice@acme.example', pass: 'alice-password-1' };

export interface IntakeUnderTest {
  readonly port: number;
  readonly redis: Redis;
  readonly host: ActorHost;
  readonly accounts: AccountStore;
  readonly records: OutboundRecords;
  readonly namespace: string;
  /** Whether the node has a trunk to dial through (without one, mail is refused with 451). */
  canDial: boolean;
  close(): Promise<void>;
}

export async function startIntakeUnderTest(options: {
  redisUrl: string;
  natsUrl: string;
  renderWorkers?: number;
  maxClients?: number;
}): Promise<IntakeUnderTest> {
  const namespace = uniqueNamespace('intake');
  const logger = createLogger({
    level: 'warn',
    nodeName: 'intake',
    destination: new Writable({ write: (_chunk, _encoding, done) => done() }),
  });
  const redis = new Redis(options.redisUrl);
  const hostRedis = new Redis(options.redisUrl, { enableOfflineQueue: false });
  await new Promise((resolve) => hostRedis.once('ready', resolve));
  const nats: NatsConnection = await connect({ servers: options.natsUrl });
  const archive = new FaxArchive(
    new FileBlobStore(makeTempDir('faxswitch-archive-')),
    parseKeyRing(`k1:${randomBytes(32).toString('base64')}`, 'test keys'),
  );
  const records = new OutboundRecords(redis, { namespace });
  const accounts = new AccountStore(redis, { namespace });
  await accounts.save(ACME_ACCOUNT);
  await accounts.setLogin(ACME_ACCOUNT.id, INTAKE_LOGIN.user, INTAKE_LOGIN.pass);
  const host = new ActorHost({
    redis: hostRedis,
    nats,
    prefix: namespace,
    nodeName: 'intake',
    machines: [outboundFaxJob, faxJobReport],
    leaseTtlMs: 3_000,
    leaseRenewMs: 1_000,
    heartbeatMs: 1_000,
    nodeDeadAfterMs: 3_000,
  });
  const queue = new WorkQueue({
    nats,
    stream: `${namespace}_outbound`,
    trunks: { carrier: { maxInFlight: 4 } },
    ackWaitMs: 5_000,
  });
  await queue.ensure();
  const signals = new CallSignals(nats, namespace);
  const dispatcher = new CallDispatcher({
    queue,
    trunks: ['carrier'],
    records,
    claims: new ExpiringLocks(redis, { prefix: `${namespace}:call-claim`, ttlMs: 2_000 }),
    signals,
    jobs: host,
    logger,
  });
  host.registerEffect(OUTBOUND_FAX_JOB, 'placeCall', (effect) => dispatcher.place(effect));
  host.registerEffect(OUTBOUND_FAX_JOB, 'hangUp', (effect) => dispatcher.hangUp(effect));
  registerReportEffects({
    host,
    records,
    archive,
    receipts: new MailReceipts(redis, { namespace }),
    relay: undefined,
    templates: compileStatusEmailTemplates(DEFAULT_STATUS_EMAIL_TEMPLATES),
    from: `fax@${INTAKE_FAX_DOMAIN}`,
    messageIdDomain: INTAKE_FAX_DOMAIN,
    layout: { resolution: 'standard', paperSize: 'a4' },
    metrics: new OutboundMetrics(createMetricsRegistry('intake')),
    logger,
  });
  await host.start();
  signals.start();

  const renderer = new DocumentRenderer({ workers: options.renderWorkers ?? 1 });
  const submissions = new FaxSubmissions({
    renderer,
    records,
    archive,
    settings: {
      layout: { resolution: 'standard', paperSize: 'a4' },
      maxPages: 350,
      defaultCallerId: '+4930555000',
    },
  });
  const state = { canDial: true };
  const launcher = new JobLauncher({
    host,
    records,
    policy: DEFAULT_RETRY_POLICY,
    canDial: () => state.canDial,
  });
  const server: SMTPServer = createSubmissionServer(
    {
      faxDomain: INTAKE_FAX_DOMAIN,
      hostname: 'faxswitch.test',
      tls: localhostCertificate(),
      maxMessageBytes: 25 * 1024 * 1024,
      maxRecipients: 50,
      maxClients: options.maxClients ?? 100,
    },
    {
      accounts,
      now: Date.now,
      preflight: (documents, account) => submissions.preflight(documents, account),
      submit: launcher.submitThrough(submissions),
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    redis,
    host,
    accounts,
    records,
    namespace,
    get canDial() {
      return state.canDial;
    },
    set canDial(value: boolean) {
      state.canDial = value;
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await renderer.close();
      signals.stop();
      await host.stop();
      await nats.close();
      redis.disconnect();
      hostRedis.disconnect();
    },
  };
}
