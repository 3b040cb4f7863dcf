// The effects of a campaign recipient: `deliverLetter` personalises the template with the row and
// sends it — by email (paced per domain, receipt recorded the moment the server accepts it, so a
// repeated attempt never sends twice) or by fax (rendered to fax pages and handed to the outbound
// fax service, which dials, retries and reports) — and `recordOutcome` writes the row's outcome once.
import type { LetterChannel, LetterOutcome, RecordLetterParams } from '../../actors/index.ts';
import { TerminalError, type ActorHost } from '../../cluster/index.ts';
import { UsageLimitError } from '../accounts/index.ts';
import type { FaxPage } from '../documents/index.ts';
import { sendOnce, type MailReceipts, type SmtpRelay } from '../email/index.ts';
import type { Logger } from '../observability/index.ts';
import type { CampaignStore, CampaignSettings, RecipientRow } from './campaign-store.ts';
import type { CampaignMetrics } from './campaign-metrics.ts';
import type { DomainThrottle } from './domain-throttle.ts';
import type { CampaignTemplates } from './campaign-templates.ts';

export const CAMPAIGN_RECIPIENT = 'campaign-recipient';

/** How a letter goes out by fax: the outbound fax service behind a narrow port. */
export interface LetterFaxSender {
  /**
   * Sends the pages to `destination` as one fax job named by `key` (idempotent: the same key never
   * makes a second job) and resolves with its final result, however long its retries take. Throws
   * UsageLimitError, queueing nothing, while the account's fax limits are used up.
   */
  send(
    request: {
      readonly key: string;
      readonly accountId: string;
      readonly sender: string;
      readonly subject: string;
      readonly destination: string;
      readonly pages: readonly FaxPage[];
    },
    signal: AbortSignal,
  ): Promise<{ readonly sent: boolean; readonly detail: string }>;
}

export interface LetterDeliveryOptions {
  readonly host: ActorHost;
  readonly store: CampaignStore;
  readonly templates: CampaignTemplates;
  readonly receipts: MailReceipts;
  readonly relay: SmtpRelay | undefined;
  readonly fax: LetterFaxSender;
  readonly throttle: DomainThrottle;
  readonly from: string;
  readonly messageIdDomain: string;
  readonly metrics: CampaignMetrics;
  readonly logger: Logger;
  readonly clock?: () => number;
}

interface DeliverParams {
  readonly recipientId: string;
  readonly campaignId: string;
  readonly position: number;
  readonly channel: LetterChannel;
}

export function registerLetterDeliveryEffects(options: LetterDeliveryOptions): void {
  const { host, store } = options;
  const clock = options.clock ?? Date.now;

  host.registerEffect(
    CAMPAIGN_RECIPIENT,
    'deliverLetter',
    async ({ params, signal }): Promise<LetterOutcome> => {
      const request = params as DeliverParams;
      const settings = await store.settings(request.campaignId);
      const row = await store.recipient(request.campaignId, request.position);
      if (!settings || !row) throw new TerminalError(`recipient ${request.recipientId} has no stored row`);
      const outcome =
        request.channel === 'email'
          ? await sendByEmail(options, settings, row, request.recipientId, signal)
          : await sendByFax(options, settings, row, request.recipientId, signal);
      options.metrics.letters.inc({ channel: request.channel, result: outcome.kind });
      return { ...outcome, at: clock() };
    },
  );

  host.registerEffect(CAMPAIGN_RECIPIENT, 'recordOutcome', async ({ params }) => {
    const recorded = params as RecordLetterParams;
    const row = await store.recipient(recorded.campaignId, recorded.position);
    await store.recordOutcome(recorded.campaignId, {
      line: recorded.line,
      result: recorded.result,
      channel: recorded.channel,
      email: row?.email ?? '',
      fax: row?.fax ?? '',
      detail: recorded.detail,
    });
    return null;
  });
}

/** A LetterOutcome before it is time-stamped. */
type Attempt =
  | { readonly kind: 'delivered'; readonly detail: string }
  | { readonly kind: 'temporary'; readonly reason: string; readonly retryAfterMs?: number }
  | { readonly kind: 'failed'; readonly reason: string };

async function sendByEmail(
  options: LetterDeliveryOptions,
  settings: CampaignSettings,
  row: RecipientRow,
  recipientId: string,
  signal: AbortSignal,
): Promise<Attempt> {
  const address = row.email;
  if (!address) return { kind: 'failed', reason: 'the row has no email address' };
  const outcome = await sendOnce({
    relay: options.relay,
    receipt: options.receipts.slot(`letter:${recipientId}`),
    now: options.clock ?? Date.now,
    compose: async () => {
      const letter = await (await options.templates.letter(settings)).personalise(row.fields);
      const subject = (await options.templates.subject(settings)).render(row.fields).replace(/[\r\n]+/g, ' ');
      const asBody = settings.emailMode === 'body' && letter.html !== undefined;
      // The domain's pace is taken only for a message really about to be sent, not for one whose
      // receipt answers a repeated attempt.
      await options.throttle.take(address.slice(address.lastIndexOf('@') + 1), signal);
      return {
        from: options.from,
        replyTo: settings.owner,
        to: address,
        subject,
        messageId: `<letter-${recipientId}@${options.messageIdDomain}>`,
        headers: { 'X-Campaign-Id': settings.campaignId },
        text: asBody ? letter.text : 'Please find your letter attached as a PDF.',
        ...(asBody ? { html: letter.html } : {}),
        attachments: [
          {
            filename: `${settings.name}.pdf`,
            contentType: 'application/pdf',
            content: Buffer.from(letter.pdf),
          },
        ],
      };
    },
  });
  if (outcome.kind === 'accepted') return { kind: 'delivered', detail: outcome.response };
  return { kind: outcome.kind === 'temporary' ? 'temporary' : 'failed', reason: outcome.reply };
}

async function sendByFax(
  options: LetterDeliveryOptions,
  settings: CampaignSettings,
  row: RecipientRow,
  recipientId: string,
  signal: AbortSignal,
): Promise<Attempt> {
  if (!row.fax) return { kind: 'failed', reason: 'the row has no fax number' };
  const pages = await options.templates.faxPages(settings, row);
  let result;
  try {
    result = await options.fax.send(
      {
        key: `letter-${recipientId}`,
        accountId: settings.accountId,
        sender: settings.owner,
        subject: settings.name,
        destination: row.fax,
        pages,
      },
      signal,
    );
  } catch (error) {
    // The account's faxes per hour or pages per day are used up: the letter waits until they turn.
    if (error instanceof UsageLimitError)
      return {
        kind: 'temporary',
        reason: error.message,
        ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
      };
    throw error;
  }
  return result.sent
    ? { kind: 'delivered', detail: result.detail }
    : { kind: 'failed', reason: result.detail };
}
