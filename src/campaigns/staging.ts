// Putting a campaign's inputs in place before it starts: the template and the recipients list are
// sealed into the archive (the list in 1 MiB pieces as it streams in, never whole in memory), and
// the template's placeholders — and the subject's — are checked against the list's header, so a
// typo is refused at submission with the field named. Runs wherever the inputs arrive: the CLI, or
// a node taking a campaign by email.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FaxArchive } from '../archive/index.ts';
import { parseCsv } from '../csv/index.ts';
import { compileLetterTemplate } from '../letters/index.ts';
import { compileTemplate } from '../templates/index.ts';
import { listColumns, RecipientListError } from './recipient-list.ts';

const PIECE_BYTES = 1024 * 1024;
const MAX_LIST_BYTES = 512 * 1024 * 1024;

export interface StagedCampaign {
  readonly campaignId: string;
  readonly template: { readonly objectId: string; readonly name: string };
  readonly listObjects: readonly string[];
  readonly columns: readonly string[];
}

export function newCampaignId(now: number): string {
  return `cmp-${now.toString(36)}-${randomBytes(6).toString('hex')}`;
}

export async function stageCampaign(
  archive: FaxArchive,
  inputs: {
    readonly campaignId: string;
    readonly template: { readonly name: string; readonly content: Uint8Array };
    readonly subject: string;
    readonly list: AsyncIterable<Buffer | string>;
  },
): Promise<StagedCampaign> {
  const { campaignId } = inputs;
  const listObjects: string[] = [];
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let total = 0;
  let columns: string[] | undefined;
  const seal = async (): Promise<void> => {
    const objectId = `${campaignId}.list.${listObjects.length}`;
    await archive.put(objectId, Buffer.concat(pending));
    listObjects.push(objectId);
    pending = [];
    pendingBytes = 0;
  };
  for await (const chunk of inputs.list) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += bytes.length;
    if (total > MAX_LIST_BYTES) throw new RecipientListError('the recipients list is larger than 512 MiB');
    pending.push(bytes);
    pendingBytes += bytes.length;
    columns ??= await headerOf(Buffer.concat(pending));
    if (pendingBytes >= PIECE_BYTES) await seal();
  }
  if (pendingBytes > 0) await seal();
  if (!columns) throw new RecipientListError('the recipients list is empty: it needs a header and rows');
  // Refuses unknown fields now, naming them; the compiled templates are rebuilt on the nodes.
  compileLetterTemplate(inputs.template.content, { name: inputs.template.name, allowedFields: columns });
  compileTemplate(inputs.subject, { allowedFields: columns, name: 'the subject' });
  const objectId = `${campaignId}.template`;
  await archive.put(objectId, Buffer.from(inputs.template.content));
  return { campaignId, template: { objectId, name: inputs.template.name }, listObjects, columns };
}

/** The header's columns once the first line is complete; undefined until then. */
async function headerOf(start: Buffer): Promise<string[] | undefined> {
  if (!start.includes(0x0a)) return undefined;
  for await (const record of parseCsv(Readable.from([start.subarray(0, start.indexOf(0x0a) + 1)])))
    return listColumns(record.fields);
  return undefined;
}
