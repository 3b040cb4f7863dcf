// Email2Fax on one node, composed: the SMTP intake (submission and MX) that turns messages into
// durable jobs, the effects of the outbound job and report machines (registered before the host
// starts), the call executor that takes work from the cluster's per-trunk queues, and the control
// service the CLI talks to. Start after the actor host and SIP; drain before them.
import type { Redis } from 'ioredis';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Registry } from 'prom-client';
import type { RetryPolicy } from '../../actors/index.ts';
import { sleep, TerminalError, WorkQueue, type ActorHost, type NodeApi } from '../../cluster/index.ts';
import type { AccountStore } from '../accounts/index.ts';
import type { FaxArchive } from '../archive/index.ts';
import { DocumentRenderer, type FaxPage } from '../documents/index.ts';
import {
  compileStatusEmailTemplates,
  DEFAULT_STATUS_EMAIL_TEMPLATES,
  MailReceipts,
  type IntakePorts,
  type SmtpRelay,
} from '../email/index.ts';
import type { MediaNode, T38SdpParams } from '../media/index.ts';
import type { Logger } from '../observability/index.ts';
import { ClusterPacer, DestinationKnowledge, DestinationLocks, ExpiringLocks } from '../outbound/index.ts';
import type { CallControl, TrunkConfig } from '../sip/index.ts';
import { CallSignals } from './call-signals.ts';
import { CallDispatcher } from './dispatch.ts';
import { CallExecutor } from './executor.ts';
import { submissionIdOf } from './ids.ts';
import { startIntake, type IntakeSettings, type RunningIntake } from './intake.ts';
import { registerOutboundApi } from './outbound-api.ts';
import { OutboundMetrics } from './outbound-metrics.ts';
import type { PageLayout } from './pages.ts';
import { OutboundRecords, type JobFinal } from './records.ts';
import { registerReportEffects } from './report.ts';
import { FaxSubmissions, JobLauncher, OUTBOUND_FAX_JOB } from './submissions.ts';

export interface Email2FaxOptions {
  readonly host: ActorHost;
  readonly redis: Redis;
  readonly nats: NatsConnection;
  /** Where operators' requests to this node arrive (CLI submit and cancel). */
  readonly api: NodeApi;
  /** Namespace of keys and subjects (the cluster's prefix). */
  readonly prefix: string;
  readonly nodeName: string;
  readonly stateDir: string;
  readonly faxDomain: string;
  /** From address of report emails. */
  readonly mailFrom: string;
  readonly accounts: AccountStore;
  readonly archive: FaxArchive;
  readonly relay: SmtpRelay | undefined;
  readonly trunks: readonly TrunkConfig[];
  readonly intake: IntakeSettings;
  readonly layout: PageLayout;
  readonly maxPages: number;
  readonly defaultCallerId: string;
  readonly policy: RetryPolicy;
  readonly slotsPerTrunk: number;
  readonly destinationMemoryMs: number;
  readonly media: MediaNode;
  readonly mediaAddress: string;
  readonly t38: T38SdpParams | undefined;
  readonly callsDir: string;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** Campaigns mailed to `campaign@<fax domain>` on the submission port (serial letters). */
  readonly startCampaign?: IntakePorts['startCampaign'];
}

/** How often a sender of pages looks for its job's final result (faxes take minutes). */
const FINAL_POLL_MS = 2_000;

/** How long a dead executor keeps a call or a number claimed. */
const CLAIM_TTL_MS = 2_000;
/** How long a work item held by a dead node waits before JetStream hands it out again. */
const ACK_WAIT_MS = 5_000;

export class Email2FaxService {
  readonly #options: Email2FaxOptions;
  readonly #records: OutboundRecords;
  readonly #queue: WorkQueue;
  readonly #signals: CallSignals;
  readonly #claims: ExpiringLocks;
  readonly #metrics: OutboundMetrics;
  readonly #renderer = new DocumentRenderer();
  readonly #submissions: FaxSubmissions;
  readonly #launcher: JobLauncher;
  #executor: CallExecutor | undefined;
  #intake: RunningIntake | undefined;

  /** Registers the effects of the outbound job and report machines: call before the host starts. */
  constructor(options: Email2FaxOptions) {
    this.#options = options;
    const { host, redis, nats, prefix, archive, logger } = options;
    this.#records = new OutboundRecords(redis, { namespace: prefix });
    this.#metrics = new OutboundMetrics(options.metrics);
    this.#queue = new WorkQueue({
      nats,
      stream: `${prefix}_outbound`,
      trunks: Object.fromEntries(
        options.trunks.map((trunk) => [trunk.name, { maxInFlight: trunk.maxChannels }]),
      ),
      ackWaitMs: ACK_WAIT_MS,
      logger: logger.child({ component: 'outbound-queue' }),
    });
    this.#signals = new CallSignals(nats, prefix);
    this.#claims = new ExpiringLocks(redis, { prefix: `${prefix}:outbound:call-claim`, ttlMs: CLAIM_TTL_MS });
    this.#submissions = new FaxSubmissions({
      renderer: this.#renderer,
      records: this.#records,
      archive,
      settings: {
        layout: options.layout,
        maxPages: options.maxPages,
        defaultCallerId: options.defaultCallerId,
      },
    });
    this.#launcher = new JobLauncher({
      host,
      records: this.#records,
      policy: options.policy,
      canDial: () => options.trunks.length > 0,
    });

    const dispatcher = new CallDispatcher({
      queue: this.#queue,
      trunks: options.trunks.map((trunk) => trunk.name),
      records: this.#records,
      claims: this.#claims,
      signals: this.#signals,
      jobs: host,
      logger: logger.child({ component: 'outbound' }),
    });
    host.registerEffect(OUTBOUND_FAX_JOB, 'placeCall', (effect) => dispatcher.place(effect));
    host.registerEffect(OUTBOUND_FAX_JOB, 'hangUp', (effect) => dispatcher.hangUp(effect));
    registerReportEffects({
      host,
      records: this.#records,
      archive,
      receipts: new MailReceipts(redis, { namespace: prefix }),
      relay: options.relay,
      templates: compileStatusEmailTemplates(DEFAULT_STATUS_EMAIL_TEMPLATES),
      from: options.mailFrom,
      messageIdDomain: options.faxDomain,
      layout: options.layout,
      metrics: this.#metrics,
      logger: logger.child({ component: 'fax-report' }),
    });
  }

  /** Where the SMTP services listen (after start). */
  get intake(): RunningIntake | undefined {
    return this.#intake;
  }

  get activeCalls(): number {
    return this.#executor?.activeCalls ?? 0;
  }

  /** Starts taking calls from the queues, operators' requests and mail. `calls`: this node's SIP. */
  async start(calls: CallControl): Promise<void> {
    const options = this.#options;
    const logger = options.logger.child({ component: 'outbound' });
    this.#signals.start();
    if (options.trunks.length > 0) {
      await this.#queue.ensure();
      this.#executor = new CallExecutor({
        queue: this.#queue,
        trunks: options.trunks,
        slotsPerTrunk: options.slotsPerTrunk,
        jobs: options.host,
        records: this.#records,
        claims: this.#claims,
        destinations: new DestinationLocks(options.redis, { namespace: options.prefix, ttlMs: CLAIM_TTL_MS }),
        pacer: new ClusterPacer(options.redis, { prefix: `${options.prefix}:pace` }),
        knowledge: new DestinationKnowledge(options.redis, {
          namespace: options.prefix,
          ttlMs: options.destinationMemoryMs,
        }),
        archive: options.archive,
        calls,
        media: options.media,
        mediaAddress: options.mediaAddress,
        t38: options.t38,
        callsDir: options.callsDir,
        layout: options.layout,
        signals: this.#signals,
        nodeName: options.nodeName,
        logger,
        metrics: this.#metrics,
      });
      this.#executor.start();
    } else {
      logger.warn('no SIP trunk configured (FAXSWITCH_SIP_TRUNKS): outbound faxes are refused');
    }
    registerOutboundApi(options.api, options.host, this.#launcher, this.#records);
    const submit = this.#launcher.submitThrough(this.#submissions);
    this.#intake = await startIntake(
      options.intake,
      {
        faxDomain: options.faxDomain,
        stateDir: options.stateDir,
        logger: options.logger.child({ component: 'smtp' }),
      },
      {
        accounts: options.accounts,
        now: Date.now,
        ...(options.startCampaign ? { startCampaign: options.startCampaign } : {}),
        preflight: (documents, account) => this.#submissions.preflight(documents, account),
        submit: async (submission, prepared) => {
          const submitted = await submit(submission, prepared);
          if (!submitted.alreadyAccepted) this.#metrics.messages.inc();
          return submitted;
        },
      },
    );
    logger.info(
      { submission: this.#intake.submission, mx: this.#intake.mx, trunks: options.trunks.map((t) => t.name) },
      'Email2Fax started',
    );
  }

  /**
   * Sends pages already rendered (a campaign's letter) to one number as a fax job and resolves with
   * its final result, however long its retries take. `key` names the fax: the same key again finds
   * the same job (after a takeover, nothing is sent twice). No report email: the caller reports.
   * Counts against the account's limits; UsageLimitError (nothing queued) when they are used up.
   */
  async sendPages(
    request: {
      readonly key: string;
      readonly accountId: string;
      readonly sender: string;
      readonly subject: string;
      readonly destination: string;
      readonly pages: readonly FaxPage[];
    },
    signal: AbortSignal,
  ): Promise<JobFinal> {
    const { accounts } = this.#options;
    const account = await accounts.get(request.accountId);
    if (!account) throw new TerminalError(`account ${request.accountId} does not exist`);
    const receivedAtMs = Date.now();
    const messageId = `<${request.key}@${this.#options.faxDomain}>`;
    // A service's faxes count against the account's limits like its emailed ones (UsageLimitError
    // when they are used up: nothing is queued). A repeat (after a takeover) finds its fax stored
    // and counted the first time: it neither counts again nor waits for the limits.
    const usage = { faxes: 1, pages: request.pages.length };
    const counted = (await this.#records.submission(submissionIdOf(account.id, messageId))) === undefined;
    if (counted) await accounts.reserveUsage(account, usage, receivedAtMs);
    const giveBack = async (): Promise<void> => {
      if (counted) await accounts.releaseUsage(account, usage, receivedAtMs);
    };
    const stored = await this.#submissions
      .store(
        {
          accountId: account.id,
          sender: request.sender,
          recipients: [request.destination],
          subject: request.subject,
          messageId,
          receivedAtMs,
          documents: [],
          pages: request.pages.length,
        },
        // The letter is the whole fax: no cover page.
        {
          pages: request.pages.length,
          documentPages: request.pages,
          account: { ...account, coverPage: false },
        },
        { reportBySender: false },
      )
      .catch(async (error: unknown) => {
        await giveBack();
        throw error;
      });
    if (stored.alreadyAccepted) await giveBack(); // stored meanwhile by another attempt
    const [jobId] = await this.#launcher.spawn(stored.record);
    for (;;) {
      const final = (await this.#records.job(jobId!))?.final;
      if (final) return final;
      await sleep(FINAL_POLL_MS, signal);
    }
  }

  /** Stops taking mail and work; calls in progress get until `deadline` (ms) to finish. */
  async drain(deadline: number): Promise<void> {
    await this.#intake?.close();
    await this.#executor?.stop(deadline);
    this.#signals.stop();
    await this.#renderer.close();
  }
}
