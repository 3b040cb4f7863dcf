// `faxswitch campaign …`: serial letters — send one (the template and list are checked here and
// sealed into the archive; a node then takes the campaign in), follow its progress, pause, resume
// or cancel it, fetch its report, and keep each account's opt-out list.
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { campaignStatus, type CampaignContext } from '../../../actors/index.ts';
import { ActorReader } from '../../../cluster/index.ts';
import { AccountStore, checkDestination } from '../../accounts/index.ts';
import {
  CAMPAIGN_API,
  CampaignStore,
  newCampaignId,
  stageCampaign,
  type CampaignAction,
  type CampaignSettings,
  type EmailMode,
} from '../../campaigns/index.ts';
import { CLUSTER_PREFIX } from '../../switch/index.ts';
import { UsageError, type CliCommand } from '../command.ts';
import { askNode, clusterArchive } from '../cluster-access.ts';
import { withRedis } from '../redis-connection.ts';

const send: CliCommand = {
  path: ['campaign', 'send'],
  summary: 'send a serial letter: by email where the list has an address, otherwise by fax',
  usage: [
    'usage: faxswitch campaign send --account ID --owner EMAIL --template FILE --recipients FILE.csv [options]',
    '',
    '  --template FILE        Markdown (.md), HTML, DOCX or ODT with {{column}} placeholders',
    '  --recipients FILE.csv  a header (email and/or fax required; name and any other columns),',
    '                         then one recipient per row',
    '  --owner EMAIL          who gets the report (a CSV with every row and its outcome)',
    "  --name TEXT            the campaign's name (default: the template's file name)",
    '  --subject TEXT         email subject, may use {{column}} (default: the name)',
    '  --email-mode body|attachment   the letter as the email (with a PDF copy, default) or a PDF',
    '  --fallback             try the other channel once when the first fails for good',
    '  --window N             recipients in flight at once (default 200)',
    '',
    'Prints the campaign id. Bad rows do not stop the campaign: they are in the report by line.',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseArgs({
      args: [...args],
      options: {
        account: { type: 'string' },
        owner: { type: 'string' },
        template: { type: 'string' },
        recipients: { type: 'string' },
        name: { type: 'string' },
        subject: { type: 'string' },
        'email-mode': { type: 'string' },
        fallback: { type: 'boolean' },
        window: { type: 'string' },
      },
    });
    if (!values.account || !values.owner || !values.template || !values.recipients)
      throw new UsageError('--account, --owner, --template and --recipients are required');
    const emailMode = (values['email-mode'] ?? 'body') as EmailMode;
    if (!['body', 'attachment'].includes(emailMode))
      throw new UsageError('--email-mode must be body or attachment');
    const window = Number(values.window ?? 200);
    if (!Number.isInteger(window) || window < 1 || window > 10_000)
      throw new UsageError('--window must be 1 to 10000');
    const name = values.name ?? path.basename(values.template).replace(/\.[^.]+$/, '');
    const subject = values.subject ?? name;
    const createdAt = Date.now();
    const campaignId = newCampaignId(createdAt);
    const staged = await stageCampaign(clusterArchive(), {
      campaignId,
      template: { name: path.basename(values.template), content: readFileSync(values.template) },
      subject,
      list: createReadStream(values.recipients),
    });
    const settings: CampaignSettings = {
      ...staged,
      name,
      accountId: values.account,
      owner: values.owner,
      createdAt,
      subject,
      emailMode,
      fallback: values.fallback ?? false,
      window,
    };
    await askNode(CAMPAIGN_API.create, settings);
    io.out(campaignId);
    return 0;
  },
};

function control(action: CampaignAction, summary: string): CliCommand {
  return {
    path: ['campaign', action],
    summary,
    usage: `usage: faxswitch campaign ${action} <campaign id>`,
    async run(args, io) {
      const [campaignId, ...rest] = args;
      if (!campaignId || rest.length > 0) throw new UsageError('expected exactly one campaign id');
      await askNode(CAMPAIGN_API.control, { campaignId, action });
      io.out(`${action}: ${campaignId}`);
      return 0;
    },
  };
}

async function progress(store: CampaignStore, reader: ActorReader, settings: CampaignSettings) {
  const view = await reader.read(settings.campaignId);
  const context = view?.context as CampaignContext | undefined;
  const status = view && context ? campaignStatus({ value: view.value, context }) : 'unknown';
  const counts = await store.counts(settings.campaignId);
  const intake = await store.intake(settings.campaignId);
  const accepted = intake?.accepted ?? 0;
  const handedOut = context?.cursor ?? 0;
  const finished = counts['finished'] ?? 0;
  return {
    campaignId: settings.campaignId,
    name: settings.name,
    account: settings.accountId,
    status,
    createdAt: new Date(settings.createdAt).toISOString(),
    rows: intake?.rows ?? 0,
    recipients: accepted,
    waiting: Math.max(0, accepted - handedOut),
    inProgress: Math.max(0, handedOut - finished),
    outcomes: Object.fromEntries(Object.entries(counts).filter(([field]) => field !== 'finished')),
  };
}

const show: CliCommand = {
  path: ['campaign', 'show'],
  summary: "a campaign's progress: rows, recipients waiting, in progress, and outcomes by channel",
  usage: 'usage: faxswitch campaign show <campaign id>',
  run: (args, io) =>
    withRedis(async (redis) => {
      const [campaignId, ...rest] = args;
      if (!campaignId || rest.length > 0) throw new UsageError('expected exactly one campaign id');
      const store = new CampaignStore(redis, { namespace: CLUSTER_PREFIX });
      const settings = await store.settings(campaignId);
      if (!settings) {
        io.err(`no campaign ${campaignId}`);
        return 1;
      }
      io.out(
        JSON.stringify(await progress(store, new ActorReader(redis, CLUSTER_PREFIX), settings), null, 2),
      );
      return 0;
    }),
};

const list: CliCommand = {
  path: ['campaign', 'list'],
  summary: 'recent campaigns and where each stands',
  usage: 'usage: faxswitch campaign list [--limit N]',
  run: (args, io) =>
    withRedis(async (redis) => {
      const { values } = parseArgs({ args: [...args], options: { limit: { type: 'string' } } });
      const store = new CampaignStore(redis, { namespace: CLUSTER_PREFIX });
      const reader = new ActorReader(redis, CLUSTER_PREFIX);
      const recent = await store.recent(Number(values.limit ?? 20));
      if (recent.length === 0) io.out('no campaigns yet');
      for (const settings of recent) {
        const p = await progress(store, reader, settings);
        io.out(
          `${p.createdAt}  ${p.campaignId}  ${p.name}  ${p.status}  ${p.recipients} recipients, ${p.waiting} waiting, ${p.inProgress} in progress`,
        );
      }
      return 0;
    }),
};

const report: CliCommand = {
  path: ['campaign', 'report'],
  summary: "write a finished campaign's report (one CSV line per row of its list)",
  usage: 'usage: faxswitch campaign report <campaign id> [--out FILE]   (default: standard output)',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { out: { type: 'string' } },
      allowPositionals: true,
    });
    const [campaignId] = positionals;
    if (!campaignId || positionals.length > 1) throw new UsageError('expected exactly one campaign id');
    const csv = await clusterArchive().get(`${campaignId}.report.csv`);
    if (!csv) {
      io.err(`campaign ${campaignId} has no report yet (or it is unknown)`);
      return 1;
    }
    if (values.out) writeFileSync(values.out, csv);
    else io.out(csv.toString().trimEnd());
    return 0;
  },
};

function optOut(verb: 'add' | 'remove' | 'list', summary: string): CliCommand {
  return {
    path: ['campaign', 'optout', verb],
    summary,
    usage: `usage: faxswitch campaign optout ${verb} --account ID${verb === 'list' ? '' : ' ADDRESS|NUMBER…'}`,
    run: (args, io) =>
      withRedis(async (redis) => {
        const { values, positionals } = parseArgs({
          args: [...args],
          options: { account: { type: 'string' } },
          allowPositionals: true,
        });
        if (!values.account) throw new UsageError('--account is required');
        const store = new CampaignStore(redis, { namespace: CLUSTER_PREFIX });
        const account = await new AccountStore(redis, { namespace: CLUSTER_PREFIX }).get(values.account);
        if (!account) throw new UsageError(`no account ${values.account}`);
        // Stored as the intake compares them: addresses in lower case, numbers in E.164.
        const entries = positionals.map((entry) =>
          entry.includes('@') ? entry.toLowerCase() : checkDestination(entry, account.dialPlan),
        );
        if (verb === 'list')
          io.out((await store.listOptOuts(values.account)).join('\n') || 'the opt-out list is empty');
        else if (entries.length === 0) throw new UsageError('give at least one address or number');
        else if (verb === 'add') io.out(`added ${await store.addOptOuts(values.account, entries)}`);
        else io.out(`removed ${await store.removeOptOuts(values.account, entries)}`);
        return 0;
      }),
  };
}

export const campaignCommands: readonly CliCommand[] = [
  send,
  show,
  list,
  control('pause', 'stop handing out letters (those in progress finish)'),
  control('resume', 'hand out letters again'),
  control('cancel', 'stop for good; letters never sent are reported as cancelled'),
  report,
  optOut('add', 'never send campaign letters to these addresses or numbers'),
  optOut('remove', 'take addresses or numbers off the opt-out list'),
  optOut('list', "show an account's opt-out list"),
];
