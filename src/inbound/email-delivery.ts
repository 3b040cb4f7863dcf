// The effects of the fax email delivery machine. `buildDocuments` turns the sealed pages into the
// PDF/TIFF the number asked for and a page-1 thumbnail (sealed too); `sendFaxEmail` sends them
// through the relay, once: the mail server's acceptance is recorded the moment it arrives and a
// repeated attempt (after a takeover) answers from that record instead of sending again;
// `recordResult` writes the outcome and schedules retention; `deleteContent` removes the content.
// For a number with an OpenPGP key the whole email is encrypted to it at build time and only that
// ciphertext is kept: from then on the switch holds nothing it can read.
import type Mail from 'nodemailer/lib/mailer/index.js';
import type { SendOutcome } from '../../actors/index.ts';
import { TerminalError, type ActorHost } from '../../cluster/index.ts';
import type { FaxArchive } from '../archive/index.ts';
import { readTiff, renderPreviewPng, writePdf, writeTiff, type DecodedFaxPage } from '../documents/index.ts';
import {
  composeFaxEmail,
  encryptEmail,
  sendOnce,
  type FaxEmailAttachment,
  type FaxEmailTemplates,
  type SmtpRelay,
} from '../email/index.ts';
import type { Logger } from '../observability/index.ts';
import { FAX_EMAIL_DELIVERY } from './call-effects.ts';
import type { FaxRecords, InboundFaxRecord } from './fax-records.ts';
import type { InboundMetrics } from './inbound-metrics.ts';
import { documentObjectId, type DocumentKind } from './object-ids.ts';
import type { WebhookNotifier } from './webhook.ts';

export interface EmailDeliveryOptions {
  readonly host: ActorHost;
  readonly records: FaxRecords;
  readonly archive: FaxArchive;
  /** Undefined until a relay is configured: emails wait (retried) rather than being dropped. */
  readonly relay: SmtpRelay | undefined;
  readonly templates: FaxEmailTemplates;
  readonly from: string;
  /** Domain of the deterministic Message-IDs. */
  readonly faxDomain: string;
  readonly metrics: InboundMetrics;
  readonly webhooks: WebhookNotifier;
  readonly logger: Logger;
  readonly clock?: () => number;
}

const DAY_MS = 86_400_000;

export function registerEmailDeliveryEffects(options: EmailDeliveryOptions): void {
  const { host, records, archive, metrics, logger } = options;
  const clock = options.clock ?? Date.now;

  host.registerEffect(FAX_EMAIL_DELIVERY, 'buildDocuments', async ({ params }) => {
    const { faxId } = params as { faxId: string };
    const record = await receivedRecord(records, faxId);
    const encryptedId = documentObjectId(faxId, 'pgp');
    // Built before a takeover: the pages it was built from are gone already.
    if (record.pgpPublicKey && (await archive.get(encryptedId))) return null;
    const built = await buildDocuments(record, await loadPages(archive, record));
    if (record.pgpPublicKey) {
      const encrypted = await encryptEmail(composeMessage(options, record, built), record.pgpPublicKey);
      await archive.put(encryptedId, encrypted);
      // Only the ciphertext stays: the switch keeps nothing of this fax it could read.
      for (const page of record.reception?.pages ?? []) await archive.delete(page);
    } else {
      for (const document of built)
        await archive.put(documentObjectId(faxId, document.kind), document.content);
    }
    return null;
  });

  host.registerEffect(FAX_EMAIL_DELIVERY, 'sendFaxEmail', async ({ params }): Promise<SendOutcome> => {
    const { faxId } = params as { faxId: string };
    const outcome = await sendOnce({
      relay: options.relay,
      receipt: records.emailReceipt(faxId),
      now: clock,
      compose: async () => {
        const record = await receivedRecord(records, faxId);
        return record.pgpPublicKey
          ? encryptedMessage(options, record, await archive.get(documentObjectId(faxId, 'pgp')))
          : composeMessage(options, record, await storedDocuments(archive, record));
      },
      onAccepted: (sent) => {
        metrics.emails.inc({ result: 'accepted' });
        logger.info(
          { faxId, messageId: sent.messageId, recipients: sent.accepted.length, refused: sent.rejected },
          'fax email accepted by the mail server',
        );
      },
    });
    if (outcome.kind !== 'accepted') metrics.emails.inc({ result: outcome.kind });
    if (outcome.kind === 'temporary')
      logger.warn({ faxId, reply: outcome.reply }, 'fax email deferred; will retry');
    return outcome;
  });

  host.registerEffect(FAX_EMAIL_DELIVERY, 'recordResult', async ({ params }) => {
    const { faxId, result, reply } = params as {
      faxId: string;
      result: 'delivered' | 'failed';
      reply: string | undefined;
    };
    const at = clock();
    let firstTime = false;
    const record = await records.update(faxId, (current) => {
      if (current.delivery) return current;
      firstTime = true;
      return {
        ...current,
        status: result === 'delivered' ? 'delivered' : 'undeliverable',
        delivery: { result, reply, at },
      };
    });
    if (!record) throw new TerminalError(`fax ${faxId} has no record`);
    if (firstTime && result === 'delivered' && record.reception)
      metrics.deliverySeconds.observe(Math.max(0, at - record.reception.endedAt) / 1000);
    if (typeof record.retention === 'object')
      await records.expireAt(faxId, record.answeredAt + record.retention.days * DAY_MS);
    if (firstTime) {
      logger.info({ faxId, result, reply }, 'fax delivery finished');
      await options.webhooks.faxReceived(record);
    }
    return null;
  });

  host.registerEffect(FAX_EMAIL_DELIVERY, 'deleteContent', async ({ params }) => {
    const { faxId } = params as { faxId: string };
    await purgeFax(records, archive, faxId, clock());
    return null;
  });
}

/** Deletes every piece of a fax's content and records that it is gone (retention, or on request). */
export async function purgeFax(
  records: FaxRecords,
  archive: FaxArchive,
  faxId: string,
  at: number,
): Promise<void> {
  const record = await records.get(faxId);
  if (record) {
    await deleteObjects(archive, record, ['pdf', 'tiff', 'thumbnail', 'pgp']);
    for (const page of record.reception?.pages ?? []) await archive.delete(page);
  }
  await records.markPurged(faxId, at);
}

async function receivedRecord(records: FaxRecords, faxId: string): Promise<InboundFaxRecord> {
  const record = await records.get(faxId);
  if (!record?.reception) throw new TerminalError(`fax ${faxId} has no record of its reception`);
  return record;
}

async function loadPages(archive: FaxArchive, record: InboundFaxRecord): Promise<DecodedFaxPage[]> {
  const pages: DecodedFaxPage[] = [];
  for (const objectId of record.reception?.pages ?? []) {
    const sealed = await archive.get(objectId);
    if (!sealed)
      throw new TerminalError(`page ${objectId} of fax ${record.faxId} is no longer in the archive`);
    pages.push(...readTiff(sealed));
  }
  return pages;
}

interface BuiltDocument {
  readonly kind: DocumentKind;
  readonly content: Buffer;
}

async function buildDocuments(
  record: InboundFaxRecord,
  pages: readonly DecodedFaxPage[],
): Promise<BuiltDocument[]> {
  const built: BuiltDocument[] = [];
  const date = new Date(record.answeredAt);
  if (record.attachmentFormat !== 'tiff') {
    const title = `Fax from ${record.caller || 'unknown caller'} to ${record.did}`;
    built.push({ kind: 'pdf', content: Buffer.from(await writePdf(pages, { title, date })) });
  }
  if (record.attachmentFormat !== 'pdf')
    built.push({
      kind: 'tiff',
      content: Buffer.from(writeTiff(pages, { compression: 'g4', dateTime: date })),
    });
  const first = pages[0];
  if (first) built.push({ kind: 'thumbnail', content: await renderPreviewPng(first) });
  return built;
}

async function storedDocuments(archive: FaxArchive, record: InboundFaxRecord): Promise<BuiltDocument[]> {
  const kinds: DocumentKind[] = ['thumbnail'];
  if (record.attachmentFormat !== 'tiff') kinds.push('pdf');
  if (record.attachmentFormat !== 'pdf') kinds.push('tiff');
  const documents: BuiltDocument[] = [];
  for (const kind of kinds) {
    const content = await archive.get(documentObjectId(record.faxId, kind));
    if (!content) throw new TerminalError(`the ${kind} of fax ${record.faxId} is no longer in the archive`);
    documents.push({ kind, content });
  }
  return documents;
}

function composeMessage(
  options: EmailDeliveryOptions,
  record: InboundFaxRecord,
  documents: readonly BuiltDocument[],
): Mail.Options {
  const reception = record.reception!;
  const stamp = new Date(record.answeredAt).toISOString().replace(/[-:]/g, '').slice(0, 15);
  const name = `fax-${record.did.replace(/^\+/, '')}-${stamp}`;
  const attachments: FaxEmailAttachment[] = documents.flatMap((document): FaxEmailAttachment[] => {
    if (document.kind === 'pdf')
      return [{ filename: `${name}.pdf`, contentType: 'application/pdf', content: document.content }];
    if (document.kind === 'tiff')
      return [{ filename: `${name}.tif`, contentType: 'image/tiff', content: document.content }];
    return [];
  });
  const thumbnail = documents.find((document) => document.kind === 'thumbnail')?.content;
  return composeFaxEmail({
    fax: {
      faxId: record.faxId,
      did: record.did,
      caller: record.caller,
      remoteStationId: reception.remoteStationId,
      pages: reception.pages.length,
      outcome: reception.outcome,
      durationMs: reception.durationMs,
      bitRate: reception.bitRate,
      ecm: reception.ecm,
      result: reception.result,
      receivedAt: new Date(record.answeredAt).toISOString(),
    },
    from: options.from,
    to: record.recipients,
    templates: options.templates,
    attachments,
    ...(thumbnail ? { thumbnailPng: thumbnail } : {}),
    messageIdDomain: options.faxDomain,
  });
}

function encryptedMessage(
  options: EmailDeliveryOptions,
  record: InboundFaxRecord,
  raw: Buffer | undefined,
): Mail.Options {
  if (!raw) throw new TerminalError(`the encrypted email of fax ${record.faxId} is no longer in the archive`);
  return { envelope: { from: options.from, to: [...record.recipients] }, raw };
}

async function deleteObjects(
  archive: FaxArchive,
  record: InboundFaxRecord,
  kinds: readonly DocumentKind[],
): Promise<void> {
  for (const kind of kinds) await archive.delete(documentObjectId(record.faxId, kind));
}
