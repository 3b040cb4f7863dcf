// `faxswitch inbound list|show`: received faxes and where each stands — receiving, delivering (with
// the mail server's last answer while it retries), delivered, undeliverable, failed. Metadata only:
// the content stays sealed in the archive.
import type { FaxEmailDeliveryContext } from '../../../actors/index.ts';
import { ActorReader } from '../../../cluster/index.ts';
import { deliveryActorId, FaxRecords, faxSummary, type InboundFaxRecord } from '../../inbound/index.ts';
import { CLUSTER_PREFIX } from '../../switch/index.ts';
import { UsageError, type CliCommand } from '../command.ts';
import { parseListOptions, LIST_USAGE } from '../list-options.ts';
import { withRedis } from '../redis-connection.ts';

type InboundFaxStatusView = Awaited<ReturnType<typeof statusView>>;

async function statusView(reader: ActorReader, record: InboundFaxRecord) {
  const delivery =
    record.status === 'delivering' ? await reader.read(deliveryActorId(record.faxId)) : undefined;
  const context = delivery?.context as FaxEmailDeliveryContext | undefined;
  const waiting = delivery?.value === 'waiting' && context;
  return {
    ...faxSummary(record),
    node: record.node,
    recipients: record.recipients,
    emailAttempts: context?.attempts,
    lastReply: record.delivery?.reply ?? context?.lastReply,
    nextAttemptAt: waiting ? new Date(context.nextAttemptAt).toISOString() : undefined,
    contentDeleted: record.purgedAt !== undefined,
  };
}

function line(view: InboundFaxStatusView): string {
  const pages = `${view.pages} page${view.pages === 1 ? '' : 's'}${view.outcome ? ` ${view.outcome}` : ''}`;
  const retry = view.nextAttemptAt ? ` — retry at ${view.nextAttemptAt}: ${view.lastReply ?? ''}` : '';
  return `${view.receivedAt}  ${view.faxId}  ${view.caller || 'unknown'} → ${view.did}  ${pages}  ${view.status}${retry}`;
}

const list: CliCommand = {
  path: ['inbound', 'list'],
  summary: 'list recent received faxes and the state of their delivery',
  usage: [
    `usage: faxswitch inbound list ${LIST_USAGE}`,
    '',
    'Newest first: when, fax id, caller → number, pages and outcome, and the delivery state',
    '(receiving, delivering, delivered, undeliverable, failed). While a mail server defers the',
    'email, the next attempt and its last answer are shown.',
  ].join('\n'),
  run: (args, io) =>
    withRedis(async (redis) => {
      const { limit, json } = parseListOptions(args);
      const reader = new ActorReader(redis, CLUSTER_PREFIX);
      const records = await new FaxRecords(redis, { namespace: CLUSTER_PREFIX }).recent(limit);
      const views = await Promise.all(records.map((record) => statusView(reader, record)));
      if (json) io.out(JSON.stringify(views, null, 2));
      else io.out(views.length === 0 ? 'no faxes received yet' : views.map(line).join('\n'));
      return 0;
    }),
};

const show: CliCommand = {
  path: ['inbound', 'show'],
  summary: 'show one received fax: its call, its delivery and the steps of both',
  usage: 'usage: faxswitch inbound show <fax id>',
  run: (args, io) =>
    withRedis(async (redis) => {
      const [faxId, ...rest] = args;
      if (!faxId || rest.length > 0) throw new UsageError('expected exactly one fax id');
      const record = await new FaxRecords(redis, { namespace: CLUSTER_PREFIX }).get(faxId);
      if (!record) {
        io.err(`no fax ${faxId}`);
        return 1;
      }
      const reader = new ActorReader(redis, CLUSTER_PREFIX);
      const view = await statusView(reader, record);
      const steps = [
        ...(await reader.history(faxId)).map((step) => ({ ...step, actor: 'call' })),
        ...(await reader.history(deliveryActorId(faxId))).map((step) => ({ ...step, actor: 'email' })),
      ].sort((a, b) => a.at - b.at);
      io.out(
        JSON.stringify(
          {
            ...view,
            steps: steps.map((step) => ({
              at: new Date(step.at).toISOString(),
              actor: step.actor,
              event: step.event.type,
              ...('effect' in step.event ? { effect: step.event['effect'] } : {}),
            })),
          },
          null,
          2,
        ),
      );
      return 0;
    }),
};

export const inboundCommands: readonly CliCommand[] = [list, show];
