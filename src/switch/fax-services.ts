// The fax services of one node, assembled from configuration: the actor host that runs every fax's
// machine, the media workers, SIP (embedded server or a drachtio-server), the encrypted archive, the
// mail relay, and Fax2Email and Email2Fax on top. Start order matters: effects are registered and
// the host runs before SIP takes a call (every answered call has its actor) and before Email2Fax
// takes mail or queued calls; shutdown goes the other way and lets calls in progress finish.
import { readFileSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Registry } from 'prom-client';
import { ActorHost, NodeApi } from '../../cluster/index.ts';
import {
  FaxArchive,
  FileBlobStore,
  loadOrCreateLocalKeyRing,
  parseKeyRing,
  type KeyRing,
} from '../archive/index.ts';
import { AccountStore } from '../accounts/index.ts';
import type { Config } from '../config/index.ts';
import { DidRegistry } from '../dids/index.ts';
import {
  compileFaxEmailTemplates,
  DEFAULT_FAX_EMAIL_TEMPLATES,
  MailReceipts,
  SmtpRelay,
} from '../email/index.ts';
import { Email2FaxService } from '../email2fax/index.ts';
import {
  FaxReception,
  FaxRecords,
  InboundMetrics,
  registerCallEffects,
  registerEmailDeliveryEffects,
  RetentionSweeper,
  WebhookNotifier,
} from '../inbound/index.ts';
import { DEFAULT_T38_PARAMS, MediaNode } from '../media/index.ts';
import type { Logger } from '../observability/index.ts';
import { startSipNode, type SipNode, type TrunkConfig } from '../sip/index.ts';
import {
  campaign,
  campaignRecipient,
  faxEmailDelivery,
  faxJobReport,
  inboundFaxCall,
  outboundFaxJob,
} from '../workflows/index.ts';
import {
  CampaignMetrics,
  CampaignStore,
  CampaignTemplates,
  DomainThrottle,
  registerCampaignApi,
  registerCampaignEffects,
  registerLetterDeliveryEffects,
  startCampaignFromMessage,
  type LetterFaxSender,
} from '../campaigns/index.ts';
import { DocumentRenderer } from '../documents/index.ts';

/** The namespace of every Redis key and NATS subject of this deployment. */
export const CLUSTER_PREFIX = 'faxswitch';
const RETENTION_SWEEP_MS = 60_000;

export interface FaxServicesDeps {
  readonly config: Config;
  readonly redisUrl: string;
  readonly nats: NatsConnection;
  readonly logger: Logger;
  readonly metrics: Registry;
}

export interface FaxServices {
  readonly host: ActorHost;
  /** Where SIP is taken: the embedded server's address, or the drachtio-server's. */
  readonly sip: { readonly host: string; readonly port: number };
  /** Where Email2Fax takes mail (undefined: that service is off). */
  readonly smtp: {
    readonly submission: { readonly host: string; readonly port: number } | undefined;
    readonly mx: { readonly host: string; readonly port: number } | undefined;
  };
  isReady(): boolean;
  /** Graceful: refuse new calls, let calls finish (up to most of `graceMs`), hand actors to peers. */
  drain(graceMs: number): Promise<void>;
}

export async function startFaxServices(deps: FaxServicesDeps): Promise<FaxServices> {
  const { config, logger } = deps;
  const callsDir = path.join(config.stateDir, 'calls');
  await prepareCallsDir(callsDir, logger);
  await mkdir(config.archive.dir, { recursive: true, mode: 0o700 });
  const archive = new FaxArchive(new FileBlobStore(config.archive.dir), archiveKeys(config, logger));

  // The host's own connection fails fast while Redis is away instead of queueing past a lease.
  const redis = new Redis(deps.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: () => 250,
  });
  await new Promise<void>((resolve, reject) => {
    redis.once('ready', () => resolve());
    redis.once('end', () => reject(new Error('redis connection closed before it was ready')));
  });
  const host = new ActorHost({
    redis,
    nats: deps.nats,
    prefix: CLUSTER_PREFIX,
    nodeName: config.nodeName,
    machines: [inboundFaxCall, faxEmailDelivery, outboundFaxJob, faxJobReport, campaign, campaignRecipient],
    ...config.cluster,
    logger: logger.child({ component: 'actors' }),
  });
  const dids = new DidRegistry(redis, { namespace: CLUSTER_PREFIX });
  const records = new FaxRecords(redis, { namespace: CLUSTER_PREFIX });
  const inboundMetrics = new InboundMetrics(deps.metrics);
  const webhooks = new WebhookNotifier({
    secret: config.mail.webhookSecret,
    logger: logger.child({ component: 'webhooks' }),
  });
  const relay = mailRelay(config, logger);

  const maxCalls = config.media.maxChannels;
  const media = await MediaNode.start({
    host: config.media.address,
    portMin: config.media.portMin,
    portMax: config.media.portMax,
    // A call holds two channels while it switches from audio to T.38.
    maxChannels: maxCalls * 2,
    ...(config.media.workers ? { workers: config.media.workers } : {}),
  });
  const reception = new FaxReception({
    host,
    dids,
    records,
    archive,
    media,
    mediaAddress: config.media.address,
    t38: DEFAULT_T38_PARAMS,
    callsDir,
    nodeName: config.nodeName,
    maxCalls,
    unknownDidStatus: config.sip.unknownDidStatus,
    retryAfterSeconds: config.sip.retryAfterSeconds,
    logger: logger.child({ component: 'inbound' }),
    metrics: inboundMetrics,
  });
  registerCallEffects({ host, reception, records, metrics: inboundMetrics, webhooks });
  registerEmailDeliveryEffects({
    host,
    records,
    archive,
    relay,
    templates: compileFaxEmailTemplates(DEFAULT_FAX_EMAIL_TEMPLATES),
    from: config.mail.from,
    faxDomain: config.mail.faxDomain,
    metrics: inboundMetrics,
    webhooks,
    logger: logger.child({ component: 'fax-email' }),
  });

  const trunks = trunksOf(config);
  const api = new NodeApi(deps.nats, CLUSTER_PREFIX, logger.child({ component: 'api' }));
  const campaigns = new CampaignStore(redis, { namespace: CLUSTER_PREFIX });
  const email2fax = new Email2FaxService({
    startCampaign: (message) =>
      startCampaignFromMessage({ archive, host, store: campaigns, now: Date.now }, message),
    host,
    redis,
    nats: deps.nats,
    api,
    prefix: CLUSTER_PREFIX,
    nodeName: config.nodeName,
    stateDir: config.stateDir,
    faxDomain: config.mail.faxDomain,
    mailFrom: config.mail.from,
    accounts: new AccountStore(redis, { namespace: CLUSTER_PREFIX }),
    archive,
    relay,
    trunks,
    intake: {
      submission: config.email2fax.submissionListen,
      mx: config.email2fax.mxListen,
      hostname: config.email2fax.smtpHostname,
      maxMessageBytes: config.email2fax.maxMessageBytes,
      maxRecipients: config.email2fax.maxRecipients,
      maxClients: config.email2fax.maxClients,
      certFile: config.email2fax.tlsCertFile,
      keyFile: config.email2fax.tlsKeyFile,
      dnsServers: config.email2fax.dnsServers,
    },
    layout: { resolution: config.email2fax.resolution, paperSize: config.email2fax.paperSize },
    maxPages: config.email2fax.maxPages,
    defaultCallerId: config.email2fax.callerId,
    policy: config.email2fax.retry,
    slotsPerTrunk: config.email2fax.slotsPerTrunk,
    destinationMemoryMs: config.email2fax.destinationMemoryMs,
    media,
    mediaAddress: config.media.address,
    t38: DEFAULT_T38_PARAMS,
    callsDir,
    logger,
    metrics: deps.metrics,
  });

  const letterRenderer = new DocumentRenderer({ workers: 1 });
  registerCampaigns({
    config,
    redis,
    host,
    api,
    archive,
    relay,
    email2fax,
    store: campaigns,
    renderer: letterRenderer,
    logger,
    metrics: deps.metrics,
  });

  let sip: SipNode | undefined;
  const sweeper = new RetentionSweeper(records, archive, logger.child({ component: 'retention' }));
  try {
    await host.start();
    sip = await startSipNode({
      drachtio: config.sip.drachtio
        ? {
            kind: 'external',
            host: config.sip.drachtio.host,
            port: config.sip.drachtio.port,
            secret: config.sip.drachtio.secret.reveal(),
          }
        : {
            kind: 'embedded',
            server: {
              host: config.sip.listen.host,
              secret: randomBytes(16).toString('hex'),
              controlPort: 0,
              sipUdpPort: config.sip.listen.port,
              sipTcpPort: config.sip.listen.port,
            },
          },
      trunks,
      inbound: reception.policy(),
      logger: logger.child({ component: 'sip' }),
    });
    sip.signalling.onInbound(reception);
    sweeper.start(RETENTION_SWEEP_MS);
    await email2fax.start(sip.signalling);
  } catch (error) {
    await email2fax.drain(Date.now()).catch(() => undefined);
    api.close();
    await sip?.close().catch(() => undefined);
    await host.stop();
    await media.stop();
    await letterRenderer.close();
    redis.disconnect();
    throw error;
  }
  const sipNode = sip;
  const sipAddress = sipNode.embedded
    ? { host: sipNode.embedded.host, port: sipNode.embedded.sipUdpPort }
    : { host: config.sip.drachtio!.host, port: config.sip.drachtio!.port };
  logger.info({ sip: sipAddress, archive: config.archive.dir }, 'fax services started');

  return {
    host,
    sip: sipAddress,
    smtp: { submission: email2fax.intake?.submission, mx: email2fax.intake?.mx },
    isReady: () => host.isReady(),
    async drain(graceMs) {
      const deadline = Date.now() + graceMs;
      reception.stopAccepting();
      sweeper.stop();
      // Calls keep most of the grace time; the rest hands actors over and closes connections.
      const callsDeadline = deadline - Math.min(5_000, graceMs * 0.4);
      const outboundEnded = email2fax.drain(callsDeadline);
      if (!(await reception.callsEnded(callsDeadline))) {
        logger.warn({ calls: reception.activeCalls }, 'hanging up calls still in progress at shutdown');
        reception.hangUpAll();
        await reception.callsEnded(callsDeadline + 2_000);
      }
      await outboundEnded;
      api.close();
      await host.drain(Math.max(1_000, deadline - Date.now() - 500));
      await sipNode.close().catch(() => undefined);
      await media.stop();
      await letterRenderer.close();
      relay?.close();
      redis.disconnect();
    },
  };
}

/**
 * Serial letters on this node: the campaign and recipient effects (letters by email through the
 * relay, by fax through Email2Fax's jobs) and the operators' campaign requests.
 */
function registerCampaigns(deps: {
  config: Config;
  redis: Redis;
  host: ActorHost;
  api: NodeApi;
  archive: FaxArchive;
  relay: SmtpRelay | undefined;
  email2fax: Email2FaxService;
  store: CampaignStore;
  renderer: DocumentRenderer;
  logger: Logger;
  metrics: Registry;
}): void {
  const { config, redis, host, email2fax, store } = deps;
  const common = {
    host,
    store,
    receipts: new MailReceipts(redis, { namespace: CLUSTER_PREFIX }),
    relay: deps.relay,
    from: config.mail.from,
    messageIdDomain: config.mail.faxDomain,
    metrics: new CampaignMetrics(deps.metrics),
    logger: deps.logger.child({ component: 'campaigns' }),
  };
  registerCampaignEffects({
    ...common,
    archive: deps.archive,
    accounts: new AccountStore(redis, { namespace: CLUSTER_PREFIX }),
  });
  const fax: LetterFaxSender = {
    async send(request, signal) {
      const final = await email2fax.sendPages(request, signal);
      const pages = `${final.pagesConfirmed} of ${final.totalPages} page(s)`;
      return final.result === 'sent'
        ? { sent: true, detail: `fax sent, ${pages}, ${final.dials} dial(s)` }
        : { sent: false, detail: `fax ${final.result}: ${final.reason ?? 'no reason given'} (${pages})` };
    },
  };
  registerLetterDeliveryEffects({
    ...common,
    templates: new CampaignTemplates(deps.archive, deps.renderer),
    fax,
    throttle: new DomainThrottle(redis, config.campaigns.emailsPerDomainPerSecond, {
      namespace: CLUSTER_PREFIX,
    }),
  });
  registerCampaignApi(deps.api, host, store);
}

/** Pages of calls a crash cut off are plaintext: they go at start (their actors are resumed elsewhere). */
async function prepareCallsDir(dir: string, logger: Logger): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const leftovers = await readdir(dir);
  for (const file of leftovers) await rm(path.join(dir, file), { force: true });
  if (leftovers.length > 0)
    logger.info({ files: leftovers.length }, 'removed page files of interrupted calls');
}

/** The configured trunks as SIP takes them: here, and only here, passwords leave their Secret. */
function trunksOf(config: Config): TrunkConfig[] {
  return config.sip.trunks.map(({ password, ...trunk }) =>
    password === undefined ? trunk : { ...trunk, password: password.reveal() },
  );
}

function archiveKeys(config: Config, logger: Logger): KeyRing {
  if (config.archive.keysFile)
    return parseKeyRing(readFileSync(config.archive.keysFile, 'utf8'), config.archive.keysFile);
  const local = loadOrCreateLocalKeyRing(config.stateDir);
  if (local.created)
    logger.warn(
      { file: local.file },
      'created an archive key for this machine; a cluster needs one key file shared by every node (FAXSWITCH_ARCHIVE_KEYS_FILE)',
    );
  return local.ring;
}

function mailRelay(config: Config, logger: Logger): SmtpRelay | undefined {
  const mail = config.mail;
  if (!mail.relay) {
    logger.warn('no mail relay configured (FAXSWITCH_SMTP_RELAY): fax emails wait until one is');
    return undefined;
  }
  return new SmtpRelay({
    url: mail.relay,
    ...(mail.username ? { username: mail.username } : {}),
    ...(mail.password ? { password: mail.password.reveal() } : {}),
    requireTls: mail.requireTls,
    ...(mail.caFile ? { ca: readFileSync(mail.caFile, 'utf8') } : {}),
    ...(mail.dkim
      ? {
          dkim: {
            domainName: mail.dkim.domainName,
            keySelector: mail.dkim.keySelector,
            privateKey: readFileSync(mail.dkim.privateKeyFile, 'utf8'),
          },
        }
      : {}),
  });
}
