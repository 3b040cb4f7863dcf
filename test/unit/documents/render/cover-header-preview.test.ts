// Cover pages, the send-time header line and PNG previews, checked on the pixels a recipient sees.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  createBitmap,
  renderContinuationCoverPage,
  renderCoverPage,
  renderPreviewPng,
  stampHeaderLine,
  type FaxPage,
  type FaxResolution,
} from '../../../../src/documents/index.ts';
import { drawText, glyphsFor, type GlyphFont } from '../../../../src/documents/render/glyphs.ts';
import { blackCount, blackFraction, isBlack } from './support.ts';

/** Finds `text` drawn in `font` anywhere in rows [y0, y1) of the page: the words are on the page. */
async function findText(
  page: FaxPage,
  text: string,
  font: GlyphFont,
  y0 = 0,
  y1 = page.height,
): Promise<boolean> {
  const glyphs = await glyphsFor(font, page.resolution, text);
  const pattern = createBitmap(text.length * glyphs.cellWidth, glyphs.cellHeight);
  drawText(pattern, glyphs, text, 0, 0);
  const rows: Uint8Array[] = [];
  for (let y = 0; y < pattern.height; y++)
    rows.push(pattern.data.subarray(y * pattern.rowBytes, (y + 1) * pattern.rowBytes));
  if (blackCount(pattern) === 0) return false;
  // The pattern's first black pixel: positions where the page is white there cannot match.
  const anchor = firstBlack(pattern);
  // Glyph cells start on whole pixels; compare bytes after shifting the page row to each bit offset.
  for (let y = y0; y + pattern.height <= y1; y++) {
    for (let x = 0; x + pattern.width <= page.width; x++) {
      if (!isBlack(page, x + anchor.x, y + anchor.y)) continue;
      let match = true;
      for (let dy = 0; dy < pattern.height && match; dy++) {
        for (let b = 0; b < pattern.rowBytes && match; b++) {
          if ((readByte(page, x + b * 8, y + dy) & maskFor(pattern.width, b)) ^ rows[dy]![b]!) match = false;
        }
      }
      if (match) return true;
    }
  }
  return false;
}

function firstBlack(pattern: FaxPage | ReturnType<typeof createBitmap>): { x: number; y: number } {
  for (let y = 0; y < pattern.height; y++)
    for (let x = 0; x < pattern.width; x++) if (isBlack(pattern, x, y)) return { x, y };
  return { x: 0, y: 0 };
}

function readByte(page: FaxPage, x: number, y: number): number {
  const offset = y * page.rowBytes + (x >> 3);
  const shift = x & 7;
  const word = (page.data[offset]! << 8) | (page.data[offset + 1] ?? 0);
  return (word >> (8 - shift)) & 0xff;
}

function maskFor(width: number, byteIndex: number): number {
  const bits = Math.min(8, width - byteIndex * 8);
  return (0xff << (8 - bits)) & 0xff;
}

const date = new Date('2026-11-22T09:50:00Z');

describe('cover pages', () => {
  it('shows from, to, subject, pages, date and the note', async () => {
    const page = await renderCoverPage({
      from: 'ACME Corp <+49 30 1234567>',
      to: 'Dr. Müller',
      subject: 'Invoice 4711',
      pages: 4,
      note: 'Please find the invoice attached.',
      date,
    });
    expect(page).toMatchObject({ width: 1728, height: 2292, resolution: 'fine' });
    expect(await findText(page, 'FAX', { sizePt: 32, bold: true }, 0, 400)).toBe(true);
    for (const text of [
      'ACME Corp <+49 30 1234567>',
      'Dr. Müller',
      'Invoice 4711',
      '4 (including this cover page)',
      '2026-11-22 09:50 UTC',
    ]) {
      expect(await findText(page, text, { sizePt: 12 }, 0, 1000)).toBe(true);
    }
    expect(await findText(page, 'Please find the invoice attached.', { sizePt: 11 })).toBe(true);
    expect(await findText(page, 'Someone else', { sizePt: 12 })).toBe(false);
  }, 60_000);

  it('states which pages a continuation carries and why', async () => {
    const page = await renderContinuationCoverPage(
      { job: 'J-42', from: 'ACME', to: '+1 555 0100', firstPage: 3, lastPage: 5, totalPages: 7, date },
      { resolution: 'standard', paperSize: 'letter' },
    );
    expect(page).toMatchObject({ width: 1728, height: 1078, resolution: 'standard' });
    expect(await findText(page, 'pages 3–5 of 7', { sizePt: 12 })).toBe(true);
    expect(await findText(page, 'Continuation of fax J-42: pages 3–5 of', { sizePt: 11 })).toBe(true);
  }, 60_000);
});

describe('header line', () => {
  it.each(['standard', 'fine', 'superfine'] as FaxResolution[])(
    'stamps "date  from  page N of M" on the top rows only (%s)',
    async (resolution) => {
      const page: FaxPage = { ...createBitmap(1728, 400), resolution };
      page.data.fill(0xff); // an all-black page shows that the band is cleared and the rest untouched
      const stamped = await stampHeaderLine(page, {
        date,
        from: 'ACME +49301234567',
        pageNumber: 2,
        pageCount: 5,
      });
      const glyphs = await glyphsFor({ sizePt: 8 }, resolution, 'x');
      expect(await findText(stamped, 'page 2 of 5', { sizePt: 8 }, 0, glyphs.cellHeight)).toBe(true);
      expect(
        await findText(
          stamped,
          '2026-11-22 09:50 UTC  ACME +49301234567',
          { sizePt: 8 },
          0,
          glyphs.cellHeight,
        ),
      ).toBe(true);
      expect(blackFraction(stamped, 0, glyphs.cellHeight, 1728, 400)).toBe(1);
      expect(blackFraction(page, 0, 0, 1728, 400)).toBe(1); // the input page is not modified
    },
  );

  it('is cheap enough to run per page at send time', async () => {
    const page: FaxPage = { ...createBitmap(1728, 2292), resolution: 'fine' };
    await stampHeaderLine(page, { date, from: 'x', pageNumber: 1, pageCount: 1 });
    const started = performance.now();
    for (let i = 1; i <= 50; i++)
      await stampHeaderLine(page, { date, from: 'ACME', pageNumber: i, pageCount: 50 });
    expect((performance.now() - started) / 50).toBeLessThan(20);
  });
});

describe('preview', () => {
  it.each([
    ['standard', 1146],
    ['fine', 2292],
  ] as const)('keeps the physical aspect ratio of a %s page', async (resolution, height) => {
    const page: FaxPage = { ...createBitmap(1728, height), resolution };
    // Black top half: in the thumbnail the top half is dark and the bottom half light.
    page.data.fill(0xff, 0, page.rowBytes * (height / 2));
    const png = await renderPreviewPng(page, { width: 400 });
    const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
    expect(info.width).toBe(400);
    expect(info.height).toBe(552); // 400 × (11.69 in / 8.47 in)
    expect(data[100 * 400 + 200]).toBeLessThan(20);
    expect(data[450 * 400 + 200]).toBeGreaterThan(235);
  });
});
