// The fax engine end to end in simulated time: real SpanDSP sessions exchanging real UDPTL or G.711
// in memory. Every received page (as the engine's page hook hands it up, decoded by libtiff) is
// compared pixel by pixel with the page ghostscript rendered (decoded by our own codec): what a
// recipient would see, checked by two independent decoders.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bitmapsEqual, readTiff, type FaxResolution } from '../../../src/documents/index.ts';
import { FaxRetryableError, type ConfirmedPage } from '../../../src/fax/index.ts';
import { faxDocument, tiffPage } from '../../helpers/fax-documents.ts';
import { makeTempDir } from '../../helpers/index.ts';
import { audioCall, gatewayCall, t38Call, type CallOutcome } from './simulation.ts';

const out = makeTempDir('faxswitch-engine-');
let counter = 0;
const rxFile = () => path.join(out, `rx-${++counter}.tif`);

function expectPagesIdentical(outcome: CallOutcome, document: string, firstPage = 1): void {
  expect(outcome.sender?.text).toBe('OK');
  expect(outcome.receiver?.text).toBe('OK');
  const received = outcome.receivedPages;
  expect(received.length).toBe(outcome.sentPages.length);
  received.forEach((page: ConfirmedPage, i) => {
    const sent = tiffPage(document, firstPage + i);
    expect(page.page, `received page ${i + 1} has pixels`).toBeDefined();
    expect(page.page?.resolution).toBe(sent.resolution);
    expect(bitmapsEqual(page.page!, sent), `page ${i + 1} pixel-equal`).toBe(true);
  });
}

describe('T.38 terminal ⇄ T.38 terminal over our UDPTL', () => {
  for (const ecm of [true, false]) {
    it(`sends 3 fine pages pixel-identical with ECM ${ecm ? 'on' : 'off'}`, () => {
      const doc = faxDocument('fine', 3);
      const outcome = t38Call({
        send: { file: doc, ecm, ident: '+1 555 0100' },
        receive: { file: rxFile(), ecm, ident: '+1 555 0199' },
      });
      expectPagesIdentical(outcome, doc);
      expect(outcome.sentPages.map((p) => p.pageNumber)).toEqual([1, 2, 3]);
      expect(outcome.receivedPages.every((p) => p.remoteIdent === '+1 555 0100')).toBe(true);
      expect(outcome.sentPages[0]?.remoteIdent).toBe('+1 555 0199');
      expect(outcome.sentPages[0]?.ecm).toBe(ecm);
      expect(outcome.sentPages[0]?.bitRate).toBe(14400);
      // Two minutes of fax in well under a second of wall time.
      expect(outcome.simulatedSeconds).toBeGreaterThan(60);
    });
  }

  for (const resolution of ['standard', 'fine', 'superfine'] as FaxResolution[]) {
    it(`keeps ${resolution} resolution`, () => {
      const doc = faxDocument(resolution, 1);
      const outcome = t38Call({ send: { file: doc }, receive: { file: rxFile() } });
      expectPagesIdentical(outcome, doc);
      expect(outcome.receivedPages[0]?.resolution).toBe(resolution);
    });
  }

  for (const loss of [0.02, 0.1, 0.3]) {
    it(`survives ${loss * 100}% packet loss with reordering thanks to 3 secondaries (ECM)`, () => {
      const doc = faxDocument('fine', 2);
      const outcome = t38Call({
        send: { file: doc },
        receive: { file: rxFile() },
        link: { loss, reorder: 0.05, seed: 7 },
      });
      expectPagesIdentical(outcome, doc);
    });
  }

  it('survives 10% loss with FEC instead of redundancy', () => {
    const doc = faxDocument('fine', 1);
    const outcome = t38Call({
      send: { file: doc },
      receive: { file: rxFile() },
      errorCorrection: { mode: 'fec', span: 3, entries: 3 },
      link: { loss: 0.1, seed: 3 },
    });
    expectPagesIdentical(outcome, doc);
  });

  it('fails at 30% loss without error recovery, with a retryable typed error', () => {
    const doc = faxDocument('fine', 2);
    const outcome = t38Call({
      send: { file: doc },
      receive: { file: rxFile() },
      errorCorrection: { mode: 'none' },
      link: { loss: 0.3, seed: 5 },
    });
    expect(outcome.sender?.ok).toBe(false);
    expect(outcome.sender?.error).toBeInstanceOf(FaxRetryableError);
    expect(outcome.sender?.error?.message).toMatch(/T30_ERR_/);
  });

  for (const ecm of [true, false]) {
    it(`writes the received file, which our codec reads back to the hooked pages (${ecm ? 'ECM, MMR' : 'no ECM, MR'} on the line)`, async () => {
      const doc = faxDocument('fine', 2);
      const file = rxFile();
      const outcome = t38Call({ send: { file: doc, ecm }, receive: { file, ecm } });
      await outcome.receivedFile;
      const stored = readTiff(readFileSync(file));
      expect(stored).toHaveLength(2);
      expect(outcome.receivedPages.map((p) => p.encoding)).toEqual(ecm ? ['MMR', 'MMR'] : ['MR', 'MR']);
      stored.forEach((page, i) => expect(bitmapsEqual(page, outcome.receivedPages[i]!.page!)).toBe(true));
      expect(existsSync(`${file}.spandsp`)).toBe(false); // SpanDSP's own (empty) file is gone
    });
  }

  it('resumes from page 2: sends only pages 2–3 and numbers them as document pages', () => {
    const doc = faxDocument('fine', 3);
    const outcome = t38Call({ send: { file: doc, firstPage: 2 }, receive: { file: rxFile() } });
    expectPagesIdentical(outcome, doc, 2);
    expect(outcome.sentPages.map((p) => p.pageNumber)).toEqual([2, 3]);
  });

  it('reports each page the moment it is confirmed, before the next page starts (the durability hook)', () => {
    const doc = faxDocument('standard', 3);
    const timeline: string[] = [];
    const outcome = t38Call({ send: { file: doc }, receive: { file: rxFile() }, timeline });
    // The receiver confirms (sends MCF) first, the sender learns it next, then the next page starts.
    expect(timeline).toEqual(['received 1', 'sent 1', 'received 2', 'sent 2', 'received 3', 'sent 3']);
    expect(outcome.receivedPages.every((p) => p.badRows === 0 && p.encoding !== 'none')).toBe(true);
  });

  it('stops after the last requested page (lastPage) and says how many were confirmed', () => {
    const doc = faxDocument('fine', 3);
    const outcome = t38Call({ send: { file: doc, firstPage: 1, lastPage: 2 }, receive: { file: rxFile() } });
    expectPagesIdentical(outcome, doc);
    expect(outcome.sender?.pagesConfirmed).toBe(2);
  });
});

describe('audio terminal ⇄ audio terminal over G.711', () => {
  for (const [law, ecm] of [
    ['pcma', true],
    ['pcmu', false],
  ] as const) {
    it(`sends 2 pages pixel-identical over ${law}, ECM ${ecm ? 'on' : 'off'}`, () => {
      const doc = faxDocument('fine', 2);
      const outcome = audioCall({ send: { file: doc, ecm }, receive: { file: rxFile(), ecm }, law });
      expectPagesIdentical(outcome, doc);
      expect(outcome.sentPages[0]?.bitRate).toBe(14400);
    });
  }
});

describe('T.38 ⇄ gateway ⇄ audio', () => {
  for (const t38Side of ['sender', 'receiver'] as const) {
    for (const ecm of [true, false]) {
      it(`delivers pixel-identical pages with the T.38 side as ${t38Side}, ECM ${ecm ? 'on' : 'off'}`, () => {
        const doc = faxDocument('fine', 2);
        const outcome = gatewayCall({
          t38Side,
          send: { file: doc, ecm },
          receive: { file: rxFile(), ecm },
          link: { loss: 0.02, seed: 9 },
        });
        expectPagesIdentical(outcome, doc);
      });
    }
  }
});
