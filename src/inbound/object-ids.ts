// Names of a received fax and of its pieces: the fax id is the inbound call actor's id, the email
// delivery is an actor of its own, and every piece of content is one sealed archive object.
import { randomBytes } from 'node:crypto';

/** Sortable by time of answer, unique without coordination: `in-<ms base36>-<80 random bits>`. */
export function newFaxId(now: number): string {
  return `in-${now.toString(36)}-${randomBytes(10).toString('hex')}`;
}

export function deliveryActorId(faxId: string): string {
  return `${faxId}.mail`;
}

export function pageObjectId(faxId: string, page: number): string {
  return `${faxId}.p${page}`;
}

export type DocumentKind = 'pdf' | 'tiff' | 'thumbnail' | 'pgp';

const SUFFIX: Record<DocumentKind, string> = {
  pdf: 'pdf',
  tiff: 'tif',
  thumbnail: 'png',
  pgp: 'pgp.eml',
};

/** A document built from the pages for the email. */
export function documentObjectId(faxId: string, kind: DocumentKind): string {
  return `${faxId}.${SUFFIX[kind]}`;
}
