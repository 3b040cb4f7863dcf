// Names in Email2Fax. A submission's id comes from the account and the message's Message-ID, and a
// job's id from its submission and destination: a mail client that sends the same message again
// (its 250 was lost) lands on the same ids, and spawning an actor that exists is a no-op. Content
// objects in the archive and the report actor are named after what they belong to.
import { createHash } from 'node:crypto';

function digest(...parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 24);
}

/** `sub-<96 bits of sha256(account, Message-ID)>`: the account keeps Message-IDs of two customers apart. */
export function submissionIdOf(accountId: string, messageId: string): string {
  return `sub-${digest(accountId, messageId.trim())}`;
}

/** `out-<96 bits of sha256(submission, destination)>`: one outbound fax job per recipient. */
export function jobIdOf(submissionId: string, destination: string): string {
  return `out-${digest(submissionId, destination)}`;
}

/** The rendered pages of a submission (every recipient's job sends them), one sealed TIFF. */
export function documentObjectId(submissionId: string): string {
  return `${submissionId}.tif`;
}

/** What a job's report email carries: the pages as transmitted (PDF) and page 1 as a thumbnail. */
export function proofObjectId(jobId: string, kind: 'pdf' | 'png'): string {
  return `${jobId}.${kind}`;
}

/** The actor that emails a job's report to its sender. */
export function reportActorId(jobId: string): string {
  return `${jobId}.report`;
}
