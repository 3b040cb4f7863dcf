// The effects of the campaign machine. `ingestRecipients` streams the sealed list through the row
// checks, de-duplicates, applies the account's opt-outs and stores recipients by position (starting
// clean each time, so a takeover mid-intake repeats it without doubling anything);
// `dispatchRecipients` hands out the next recipients while the window has room (idempotent spawns);
// `sendReport` emails the owner a summary and a CSV with one line per row of the list.
import type { DispatchResult, IngestSummary, CampaignControl } from '../../actors/index.ts';
import { RetryableError, TerminalError, forEachLimited, type ActorHost } from '../../cluster/index.ts';
import type { AccountStore } from '../accounts/index.ts';
import type { FaxArchive } from '../archive/index.ts';
import { formatCsvRecord } from '../csv/index.ts';
import { SmtpPermanentError, type MailReceipts, type SmtpRelay } from '../email/index.ts';
import type { Logger } from '../observability/index.ts';
import type { CampaignStore, RecipientRow, RowOutcome } from './campaign-store.ts';
import type { CampaignMetrics } from './campaign-metrics.ts';
import { CAMPAIGN_RECIPIENT } from './letter-delivery.ts';
import { readRecipientList } from './recipient-list.ts';

export const CAMPAIGN = 'campaign';

const INTAKE_BATCH = 500;
const REPORT_BATCH = 1_000;
const SPAWNS_AT_ONCE = 32;

export interface CampaignEffectsOptions {
  readonly host: ActorHost;
  readonly store: CampaignStore;
  readonly archive: FaxArchive;
  readonly accounts: AccountStore;
  readonly receipts: MailReceipts;
  readonly relay: SmtpRelay | undefined;
  readonly from: string;
  readonly messageIdDomain: string;
  readonly metrics: CampaignMetrics;
  readonly logger: Logger;
  readonly clock?: () => number;
}

export function recipientActorId(campaignId: string, line: number): string {
  return `${campaignId}.${line}`;
}

export function registerCampaignEffects(options: CampaignEffectsOptions): void {
  const { host, store } = options;
  const clock = options.clock ?? Date.now;

  host.registerEffect(CAMPAIGN, 'ingestRecipients', async ({ params }): Promise<IngestSummary> => {
    const { campaignId } = params as { campaignId: string };
    const summary = await ingest(options, campaignId);
    options.logger.info({ campaignId, ...summary }, 'campaign recipients taken in');
    return { ...summary, at: clock() };
  });

  host.registerEffect(CAMPAIGN, 'dispatchRecipients', async ({ params }): Promise<DispatchResult> => {
    const { campaignId, cursor, control } = params as {
      campaignId: string;
      cursor: number;
      control: CampaignControl;
    };
    const settings = await store.settings(campaignId);
    if (!settings) throw new TerminalError(`campaign ${campaignId} has no settings`);
    const finished = (await store.counts(campaignId))['finished'] ?? 0;
    if (control !== 'running') return { at: clock(), cursor, finished };
    const total = await store.recipientCount(campaignId);
    const room = Math.min(settings.window - (cursor - finished), total - cursor);
    const rows = await store.recipients(campaignId, cursor, Math.max(0, room));
    const createdAt = clock();
    await forEachLimited(
      rows.map((row, index) => ({ row, position: cursor + index })),
      SPAWNS_AT_ONCE,
      async ({ row, position }) => {
        await host.spawn(CAMPAIGN_RECIPIENT, recipientActorId(campaignId, row.line), {
          recipientId: recipientActorId(campaignId, row.line),
          campaignId,
          line: row.line,
          position,
          email: row.email,
          fax: row.fax,
          fallback: settings.fallback,
          createdAt,
        });
      },
    );
    options.metrics.dispatched.inc(rows.length);
    return { at: clock(), cursor: cursor + rows.length, finished };
  });

  host.registerEffect(CAMPAIGN, 'sendReport', async ({ params }) => {
    const { campaignId, control, cursor } = params as {
      campaignId: string;
      control: CampaignControl;
      cursor: number;
    };
    if (control === 'cancelled') {
      const total = await store.recipientCount(campaignId);
      for (let from = cursor; from < total; from += REPORT_BATCH)
        await store.recordCancelled(
          campaignId,
          await store.recipients(campaignId, from, Math.min(REPORT_BATCH, total - from)),
        );
    }
    await sendReport(options, campaignId, control);
    return null;
  });
}

async function ingest(
  options: CampaignEffectsOptions,
  campaignId: string,
): Promise<Omit<IngestSummary, 'at'>> {
  const { store, archive } = options;
  const settings = await store.settings(campaignId);
  if (!settings) throw new TerminalError(`campaign ${campaignId} has no settings`);
  const account = await options.accounts.get(settings.accountId);
  if (!account)
    throw new TerminalError(`account ${settings.accountId} of campaign ${campaignId} does not exist`);
  await store.resetIntake(campaignId);
  async function* pieces(): AsyncGenerator<Buffer> {
    for (const objectId of settings!.listObjects) {
      const piece = await archive.get(objectId);
      if (!piece) throw new TerminalError(`a piece of campaign ${campaignId}'s list (${objectId}) is gone`);
      yield piece;
    }
  }
  const counts = { rows: 0, accepted: 0, invalid: 0, duplicates: 0, optedOut: 0 };
  let lastLine = 1;
  let candidates: RecipientRow[] = [];
  let refused: RowOutcome[] = [];
  const flush = async (): Promise<void> => {
    const optOuts = await store.optedOut(
      settings.accountId,
      candidates.flatMap((row) => [row.email ?? '', row.fax ?? '']),
    );
    const accepted: RecipientRow[] = [];
    const fresh: RecipientRow[] = [];
    candidates.forEach((row, index) => {
      if (optOuts[index * 2] || optOuts[index * 2 + 1]) {
        refused.push(outcomeOf(row, 'opted-out', 'on the opt-out list of the account'));
        counts.optedOut++;
      } else fresh.push(row);
    });
    const first = await store.firstSighting(
      campaignId,
      fresh.map((row) => row.email ?? row.fax!),
    );
    fresh.forEach((row, index) => {
      if (first[index]) accepted.push(row);
      else {
        refused.push(
          outcomeOf(row, 'duplicate', `an earlier row has the same ${row.email ? 'address' : 'number'}`),
        );
        counts.duplicates++;
      }
    });
    await store.addIntakeBatch(campaignId, counts.accepted, accepted, refused);
    counts.accepted += accepted.length;
    candidates = [];
    refused = [];
  };
  for await (const entry of readRecipientList(pieces(), account.dialPlan)) {
    counts.rows++;
    if ('refused' in entry) {
      refused.push(entry.refused);
      counts.invalid++;
      lastLine = entry.refused.line;
    } else {
      candidates.push(entry.recipient);
      lastLine = entry.recipient.line;
    }
    if (candidates.length + refused.length >= INTAKE_BATCH) await flush();
  }
  await flush();
  await store.setIntake(campaignId, { rows: counts.rows, accepted: counts.accepted, lastLine });
  return counts;
}

function outcomeOf(row: RecipientRow, result: RowOutcome['result'], detail: string): RowOutcome {
  return { line: row.line, result, channel: '', email: row.email ?? '', fax: row.fax ?? '', detail };
}

const REPORT_COLUMNS = ['line', 'result', 'channel', 'email', 'fax', 'detail'];

async function sendReport(
  options: CampaignEffectsOptions,
  campaignId: string,
  control: CampaignControl,
): Promise<void> {
  const { store } = options;
  const settings = await store.settings(campaignId);
  if (!settings) throw new TerminalError(`campaign ${campaignId} has no settings`);
  const receiptKey = `campaign-report:${campaignId}`;
  if (await options.receipts.find(receiptKey)) return;
  const intake = await store.intake(campaignId);
  const parts: string[] = [formatCsvRecord(REPORT_COLUMNS)];
  for (let from = 2; intake && from <= intake.lastLine; from += REPORT_BATCH) {
    const outcomes = await store.outcomes(
      campaignId,
      from,
      Math.min(intake.lastLine, from + REPORT_BATCH - 1),
    );
    parts.push(
      outcomes
        .map((o) => formatCsvRecord([String(o.line), o.result, o.channel, o.email, o.fax, o.detail]))
        .join(''),
    );
  }
  const counts = await store.counts(campaignId);
  const csv = Buffer.from(parts.join(''));
  await options.archive.put(`${campaignId}.report.csv`, csv);
  const summary = Object.entries(counts)
    .filter(([name]) => name !== 'finished')
    .sort()
    .map(([name, count]) => `  ${name.replace('_', ' by ')}: ${count}`)
    .join('\n');
  if (!options.relay)
    throw new RetryableError('no mail relay is configured (FAXSWITCH_SMTP_RELAY)', { retryAfterMs: 60_000 });
  try {
    const sent = await options.relay.send({
      from: options.from,
      to: settings.owner,
      subject: `Campaign "${settings.name}" ${control === 'cancelled' ? 'cancelled' : 'finished'}: ${intake?.rows ?? 0} rows`,
      messageId: `<campaign-report-${campaignId}@${options.messageIdDomain}>`,
      headers: { 'X-Campaign-Id': campaignId },
      text: [
        `Campaign "${settings.name}" (${campaignId}) ${control === 'cancelled' ? 'was cancelled' : 'has finished'}.`,
        '',
        `Rows in the list: ${intake?.rows ?? 0}`,
        summary,
        '',
        'The attached CSV has one line per row of your list with its outcome.',
      ].join('\n'),
      attachments: [{ filename: `${settings.name}-report.csv`, contentType: 'text/csv', content: csv }],
    });
    const at = (options.clock ?? Date.now)();
    await options.receipts.record(receiptKey, { messageId: sent.messageId, response: sent.response, at });
  } catch (error) {
    // The report stays in the archive; a refused owner address is logged, not retried for ever.
    if (error instanceof SmtpPermanentError)
      options.logger.error({ campaignId, err: error }, 'campaign report refused');
    else throw error;
  }
}
