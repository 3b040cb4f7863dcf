// A campaign sent by mail: an authenticated message to `campaign@<fax domain>` with the letter
// template and the recipients list attached. Its subject names the campaign and is the letters'
// subject (it may use `{{column}}`); `[fallback]` and `[attachment]` in it set those options. The
// campaign id comes from the account and the Message-ID, so a client that retries after a lost 250
// starts nothing twice.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ActorHost } from '../../cluster/index.ts';
import type { FaxArchive } from '../archive/index.ts';
import type { CampaignMessage, FaxDocument } from '../email/index.ts';
import { startCampaign } from './campaign-api.ts';
import type { CampaignStore } from './campaign-store.ts';
import { RecipientListError } from './recipient-list.ts';
import { stageCampaign } from './staging.ts';

const DEFAULT_WINDOW = 200;
const TAGS = /\[(fallback|attachment)\]/gi;

export function campaignIdOf(accountId: string, messageId: string): string {
  return `cmp-${createHash('sha256').update(`${accountId}\n${messageId}`).digest('hex').slice(0, 24)}`;
}

function isList(document: FaxDocument): boolean {
  return /\.csv$/i.test(document.name) || /^text\/(csv|comma-separated-values)\b/i.test(document.contentType);
}

export async function startCampaignFromMessage(
  deps: {
    readonly archive: FaxArchive;
    readonly host: ActorHost;
    readonly store: CampaignStore;
    readonly now: () => number;
  },
  message: CampaignMessage,
): Promise<{ campaignId: string }> {
  const lists = message.attachments.filter(isList);
  const templates = message.attachments.filter((document) => !isList(document));
  if (lists.length !== 1 || templates.length !== 1) {
    throw new RecipientListError(
      `a campaign message carries two attachments: the letter template (Markdown, HTML, DOCX or ODT) and the recipients list (.csv); this one has ${lists.length} list(s) and ${templates.length} other attachment(s)`,
    );
  }
  const template = templates[0]!;
  const tags = new Set([...message.subject.matchAll(TAGS)].map((match) => match[1]!.toLowerCase()));
  const subject = message.subject.replace(TAGS, '').replace(/\s+/g, ' ').trim() || template.name;
  const campaignId = campaignIdOf(message.account.id, message.messageId);
  const existing = await deps.store.settings(campaignId);
  if (existing) return { campaignId };
  const staged = await stageCampaign(deps.archive, {
    campaignId,
    template: { name: template.name, content: template.content },
    subject,
    list: Readable.from([lists[0]!.content]),
  });
  await startCampaign(deps.host, deps.store, {
    ...staged,
    name: subject,
    accountId: message.account.id,
    owner: message.sender,
    createdAt: deps.now(),
    subject,
    emailMode: tags.has('attachment') ? 'attachment' : 'body',
    fallback: tags.has('fallback'),
    window: DEFAULT_WINDOW,
  });
  return { campaignId };
}
