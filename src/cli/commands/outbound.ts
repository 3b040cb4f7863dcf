// `faxswitch outbound submit|list|show|cancel`: Email2Fax jobs from the command line. `submit` takes
// the path a message takes (dial plan, rendering, limits, the sealed pages and records), then asks a
// node to create the jobs — the CLI hosts no actors. `list` and `show` read the jobs' records and
// actors (status, attempts, and the steps each job's actor persisted); `cancel` goes through a node.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { outboundFaxJobStatus, type OutboundFaxJobContext } from '../../../actors/index.ts';
import { ActorReader } from '../../../cluster/index.ts';
import { AccountStore } from '../../accounts/index.ts';
import { loadConfig } from '../../config/index.ts';
import { DocumentRenderer } from '../../documents/index.ts';
import { queueFax } from '../../email/index.ts';
import {
  FaxSubmissions,
  OUTBOUND_API,
  OutboundRecords,
  reportActorId,
  type JobState,
} from '../../email2fax/index.ts';
import { CLUSTER_PREFIX } from '../../switch/index.ts';
import { askNode, clusterArchive } from '../cluster-access.ts';
import { UsageError, type CliCommand } from '../command.ts';
import { parseListOptions, LIST_USAGE } from '../list-options.ts';
import { withRedis } from '../redis-connection.ts';

const submit: CliCommand = {
  path: ['outbound', 'submit'],
  summary: 'fax documents to one or more numbers for an account, as an email to <number>@<fax domain> would',
  usage: [
    'usage: faxswitch outbound submit <file>… --to NUMBER [--to NUMBER…] --account ID [options]',
    '',
    '  --to NUMBER        a destination as people write it (+49 30 …, 030 …); repeat for several',
    '  --account ID       the account whose dial plan, limits, caller id and cover page apply',
    "  --sender ADDRESS   where the report email goes (default: the account's first login)",
    '  --subject TEXT     the subject (cover page, report)',
    '  --id TEXT          an id for this submission: submitting the same id again creates nothing new',
    '',
    'Files are rendered in order (PDF, images, text, office documents). Prints one job id per',
    'destination once the jobs are durable; a node must be running to take them.',
  ].join('\n'),
  run: (args, io) =>
    withRedis(async (redis) => {
      const { values, positionals } = parseArgs({
        args: [...args],
        options: {
          to: { type: 'string', multiple: true },
          account: { type: 'string' },
          sender: { type: 'string' },
          subject: { type: 'string' },
          id: { type: 'string' },
        },
        allowPositionals: true,
      });
      if (positionals.length === 0) throw new UsageError('give at least one file to fax');
      if (!values.to?.length || !values.account) throw new UsageError('--to and --account are required');
      const config = loadConfig();
      const accounts = new AccountStore(redis, { namespace: CLUSTER_PREFIX });
      const account = await accounts.get(values.account);
      if (!account?.active) {
        io.err(`no active account ${values.account}`);
        return 1;
      }
      const sender = values.sender ?? (await accounts.logins(account.id))[0]?.address;
      if (!sender) throw new UsageError(`account ${account.id} has no login: give --sender`);
      const renderer = new DocumentRenderer({ workers: 1 });
      try {
        const records = new OutboundRecords(redis, { namespace: CLUSTER_PREFIX });
        const submissions = new FaxSubmissions({
          renderer,
          records,
          archive: clusterArchive(),
          settings: {
            layout: { resolution: config.email2fax.resolution, paperSize: config.email2fax.paperSize },
            maxPages: config.email2fax.maxPages,
            defaultCallerId: config.email2fax.callerId,
          },
        });
        const { jobIds, pages } = await queueFax(
          {
            accounts,
            preflight: (documents, owner) => submissions.preflight(documents, owner),
            submit: async (submission, prepared) => {
              // Stored pages nobody can send would only wait for a repeat: ask a node first.
              await askNode(OUTBOUND_API.ready, {});
              const { record, alreadyAccepted } = await submissions.store(submission, prepared);
              const { jobIds: spawned } = await askNode<{ jobIds: string[] }>(OUTBOUND_API.spawn, {
                submissionId: record.submissionId,
              });
              return { jobIds: spawned, alreadyAccepted };
            },
          },
          {
            account,
            sender,
            numbers: values.to,
            subject: values.subject ?? '',
            messageId: `<cli-${values.id ?? randomUUID()}@${config.mail.faxDomain}>`,
            receivedAtMs: Date.now(),
            documents: positionals.map((file) => ({
              name: path.basename(file),
              contentType: 'application/octet-stream',
              content: readFileSync(file),
              source: 'attachment' as const,
            })),
          },
        );
        io.out(`queued ${jobIds.length} fax job(s) of ${pages} page(s)`);
        for (const jobId of jobIds) io.out(jobId);
        return 0;
      } finally {
        await renderer.close();
      }
    }),
};

interface JobView {
  readonly jobId: string;
  readonly submittedAt: string | undefined;
  readonly destination: string;
  readonly account: string | undefined;
  readonly sender: string | undefined;
  readonly status: string;
  readonly pagesConfirmed: number;
  readonly totalPages: number;
  readonly dials: number;
  readonly nextAttemptAt: string | undefined;
  readonly lastFailure: string | undefined;
  readonly remoteStationId: string | undefined;
  readonly owner: string | undefined;
  readonly report: string | undefined;
}

async function jobView(records: OutboundRecords, reader: ActorReader, job: JobState): Promise<JobView> {
  const [view, submission] = await Promise.all([
    reader.read(job.jobId),
    records.submission(job.submissionId),
  ]);
  const context = view?.context as OutboundFaxJobContext | undefined;
  const status = view && context ? outboundFaxJobStatus({ value: view.value, context }) : 'unknown';
  const waiting = status === 'queued' || status === 'willretry';
  return {
    jobId: job.jobId,
    submittedAt: submission && new Date(submission.receivedAt).toISOString(),
    destination: job.destination,
    account: submission?.accountId,
    sender: submission?.sender,
    status,
    pagesConfirmed: context?.pagesConfirmed ?? job.final?.pagesConfirmed ?? 0,
    totalPages: job.totalPages,
    dials: context?.dials ?? job.final?.dials ?? 0,
    nextAttemptAt: waiting && context ? new Date(context.nextAttemptAt).toISOString() : undefined,
    lastFailure: context?.lastFailure ?? job.final?.reason,
    remoteStationId: context?.remoteStationId ?? job.final?.remoteStationId,
    owner: view?.owner,
    report: job.report && `${job.report.result}${job.report.reply ? `: ${job.report.reply}` : ''}`,
  };
}

function line(view: JobView): string {
  const retry = view.nextAttemptAt ? ` — next dial ${view.nextAttemptAt}` : '';
  const why = view.lastFailure ? ` (${view.lastFailure})` : '';
  return `${view.submittedAt ?? '?'}  ${view.jobId}  → ${view.destination}  ${view.status}  ${view.pagesConfirmed}/${view.totalPages} pages  ${view.dials} dial(s)${retry}${why}`;
}

const list: CliCommand = {
  path: ['outbound', 'list'],
  summary:
    'list recent outbound fax jobs: queued, dialing, ringing, sending, willretry, sent, partial, failed',
  usage: `usage: faxswitch outbound list ${LIST_USAGE}`,
  run: (args, io) =>
    withRedis(async (redis) => {
      const { limit, json } = parseListOptions(args);
      const records = new OutboundRecords(redis, { namespace: CLUSTER_PREFIX });
      const reader = new ActorReader(redis, CLUSTER_PREFIX);
      const views = await Promise.all(
        (await records.recentJobs(limit)).map((job) => jobView(records, reader, job)),
      );
      if (json) io.out(JSON.stringify(views, null, 2));
      else io.out(views.length === 0 ? 'no outbound faxes yet' : views.map(line).join('\n'));
      return 0;
    }),
};

const show: CliCommand = {
  path: ['outbound', 'show'],
  summary: "show one outbound fax job: its state, every call, and the steps of its actor's event log",
  usage: 'usage: faxswitch outbound show <job id>',
  run: (args, io) =>
    withRedis(async (redis) => {
      const [jobId, ...rest] = args;
      if (!jobId || rest.length > 0) throw new UsageError('expected exactly one job id');
      const records = new OutboundRecords(redis, { namespace: CLUSTER_PREFIX });
      const job = await records.job(jobId);
      if (!job) {
        io.err(`no fax job ${jobId}`);
        return 1;
      }
      const reader = new ActorReader(redis, CLUSTER_PREFIX);
      const steps = [
        ...(await reader.history(jobId)).map((step) => ({ ...step, actor: 'job' })),
        ...(await reader.history(reportActorId(jobId))).map((step) => ({ ...step, actor: 'report' })),
      ].sort((a, b) => a.at - b.at || a.seq - b.seq);
      io.out(
        JSON.stringify(
          {
            ...(await jobView(records, reader, job)),
            calls: (await records.attempts(jobId)).map((attempt) => ({
              ...attempt,
              startedAt: new Date(attempt.startedAt).toISOString(),
            })),
            steps: steps.map((step) => ({
              at: new Date(step.at).toISOString(),
              actor: step.actor,
              epoch: step.epoch,
              event: step.event.type,
              ...eventDetail(step.event),
            })),
          },
          null,
          2,
        ),
      );
      return 0;
    }),
};

/** The part of a step's event worth reading: which effect ended how, which page, when a timer fired. */
function eventDetail(event: { readonly type: string; readonly [field: string]: unknown }): object {
  const { type: _type, key: _key, input: _input, ...rest } = event;
  return rest;
}

const cancel: CliCommand = {
  path: ['outbound', 'cancel'],
  summary: 'cancel an outbound fax job (a call in progress is hung up; confirmed pages stay sent)',
  usage: 'usage: faxswitch outbound cancel <job id>',
  run: async (args, io) => {
    const [jobId, ...rest] = args;
    if (!jobId || rest.length > 0) throw new UsageError('expected exactly one job id');
    await askNode(OUTBOUND_API.cancel, { jobId });
    io.out(`cancel requested for ${jobId}`);
    return 0;
  },
};

export const outboundCommands: readonly CliCommand[] = [submit, list, show, cancel];
