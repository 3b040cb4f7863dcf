// The pages a job sends, as the far end and the report see them: a cover page when the account
// wants one, every page stamped with the header line (the submission's date, so a resent page is
// the same image), and after a break a continuation cover page whose engine page numbers map back
// to the job's. Also: ids that make a repeated message land on the same jobs.
import { describe, expect, it } from 'vitest';
import { bitmapsEqual, createBitmap, type FaxPage } from '../../../src/documents/index.ts';
import {
  attemptPages,
  jobIdOf,
  jobPages,
  modemsUpTo,
  reportActorId,
  submissionIdOf,
  type JobRecord,
  type SubmissionRecord,
} from '../../../src/email2fax/index.ts';

const LAYOUT = { resolution: 'standard', paperSize: 'a4' } as const;

function page(marker: number): FaxPage {
  const bitmap = createBitmap(1728, 1100);
  // Something on each page, well below the header band, that tells the pages apart.
  bitmap.data.fill(0xff, 600 * bitmap.rowBytes + marker * 8, 600 * bitmap.rowBytes + marker * 8 + 8);
  return { ...bitmap, resolution: 'standard' };
}

const submission: SubmissionRecord = {
  submissionId: 'sub-1',
  accountId: 'acme',
  sender: 'alice@acme.example',
  subject: 'Invoice 42',
  messageId: '<m1@acme.example>',
  receivedAt: Date.UTC(2026, 10, 22, 9, 30),
  destinations: ['+49301234567'],
  jobIds: ['out-1'],
  documentPages: 3,
  coverPage: false,
  callerId: '+4930555000',
  senderName: 'ACME GmbH',
};
const job: JobRecord = { jobId: 'out-1', submissionId: 'sub-1', destination: '+49301234567', totalPages: 3 };
const documentPages = [page(1), page(2), page(3)];

describe('job pages', () => {
  it('stamps the header line on every page and keeps what is below it', async () => {
    const pages = await jobPages(submission, job, documentPages, LAYOUT);
    expect(pages).toHaveLength(3);
    pages.forEach((stamped, index) => {
      expect(bitmapsEqual(stamped, documentPages[index]!)).toBe(false);
      const below = 64 * stamped.rowBytes;
      expect(
        Buffer.from(stamped.data.subarray(below)).equals(
          Buffer.from(documentPages[index]!.data.subarray(below)),
        ),
      ).toBe(true);
    });
    // The same every time: a resent page is the same image.
    const again = await jobPages(submission, job, documentPages, LAYOUT);
    again.forEach((stamped, index) => expect(bitmapsEqual(stamped, pages[index]!)).toBe(true));
  });

  it('leads with a cover page when the account asks for one', async () => {
    const withCover = await jobPages(
      { ...submission, coverPage: true },
      { ...job, totalPages: 4 },
      documentPages,
      LAYOUT,
    );
    expect(withCover).toHaveLength(4);
    const plain = await jobPages(submission, job, documentPages, LAYOUT);
    expect(bitmapsEqual(withCover[1]!, plain[0]!)).toBe(false); // "page 2 of 4", not "page 1 of 3"
  });

  it('resumes with a continuation cover page and maps engine pages back to the job pages', async () => {
    const all = await jobPages(submission, job, documentPages, LAYOUT);
    const first = await attemptPages(all, 1, { job, submission }, LAYOUT);
    expect(first.pages).toHaveLength(3);
    expect([1, 2, 3].map((n) => first.documentPageOf(n))).toEqual([1, 2, 3]);

    const resumed = await attemptPages(all, 3, { job, submission }, LAYOUT);
    expect(resumed.pages).toHaveLength(2);
    expect(bitmapsEqual(resumed.pages[1]!, all[2]!)).toBe(true);
    expect(all.some((p) => bitmapsEqual(p, resumed.pages[0]!))).toBe(false);
    expect([1, 2].map((n) => resumed.documentPageOf(n))).toEqual([undefined, 3]);
  });
});

describe('ids', () => {
  it('gives the same message from the same account the same submission and jobs, and no one else', () => {
    const id = submissionIdOf('acme', '<m1@acme.example>');
    expect(id).toMatch(/^sub-[0-9a-f]{24}$/);
    expect(submissionIdOf('acme', ' <m1@acme.example> ')).toBe(id);
    expect(submissionIdOf('other', '<m1@acme.example>')).not.toBe(id);
    expect(jobIdOf(id, '+49301234567')).toMatch(/^out-[0-9a-f]{24}$/);
    expect(jobIdOf(id, '+49301234567')).not.toBe(jobIdOf(id, '+49301234568'));
    expect(reportActorId('out-1')).toBe('out-1.report');
  });
});

describe('speed fallback', () => {
  it('drops V.17, then V.29, as the job lowers its highest bit rate', () => {
    expect(modemsUpTo(14_400)).toEqual(['v17', 'v29', 'v27ter']);
    expect(modemsUpTo(12_000)).toEqual(['v17', 'v29', 'v27ter']);
    expect(modemsUpTo(9_600)).toEqual(['v29', 'v27ter']);
    expect(modemsUpTo(7_200)).toEqual(['v29', 'v27ter']);
    expect(modemsUpTo(4_800)).toEqual(['v27ter']);
  });
});
