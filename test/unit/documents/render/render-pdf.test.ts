// PDFs rendered through the public entry point (worker thread + PDFium): exact fax geometry, the
// content where the PDF puts it, landscape turned, and clear refusals for what cannot be faxed.
import { PDFDocument } from 'pdf-lib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DocumentRenderer,
  DocumentUnreadableError,
  NothingFaxableError,
  TooManyPagesError,
  bitmapsEqual,
  createBitmap,
  writePdf,
  type FaxPage,
  type FaxResolution,
} from '../../../../src/documents/index.ts';
import { blackCount, blackFraction, isBlack, pdfWithRectangles, photoJpeg, textPdf, zip } from './support.ts';

const renderer = new DocumentRenderer({ workers: 1 });
afterAll(() => renderer.close());

describe('PDF rendering', () => {
  it.each([
    ['standard', 'a4', 1146],
    ['fine', 'a4', 2292],
    ['superfine', 'a4', 4572],
    ['standard', 'letter', 1078],
    ['fine', 'letter', 2156],
  ] as const)('renders %s %s pages 1728 px wide and %i rows long', async (resolution, paperSize, rows) => {
    const pdf = await pdfWithRectangles([{ x: 100, y: 100, width: 50, height: 50 }]);
    const { pages, type } = await renderer.render(pdf, { name: 'a.pdf', resolution, paperSize });
    expect(type).toBe('pdf');
    expect(pages).toHaveLength(1);
    expect(pages[0]).toMatchObject({ width: 1728, height: rows, rowBytes: 216, resolution });
  });

  it.each(['standard', 'fine', 'superfine'] as FaxResolution[])(
    'puts a black rectangle where the PDF draws it (%s)',
    async (resolution) => {
      // An inch-square at 1 in from the left and 2 in from the top of an A4 page. A4 is 8.27 in wide
      // and fax pages 8.47 in, so the page is centred with ≈20 px on each side, at scale 1.
      const pdf = await pdfWithRectangles([{ x: 72, y: 144, width: 72, height: 72 }]);
      const { pages } = await renderer.render(pdf, { name: 'box.pdf', resolution });
      const page = pages[0]!;
      const yDpi = { standard: 98, fine: 196, superfine: 391 }[resolution];
      const left = 20 + 204;
      const top = 2 * yDpi;
      expect(blackFraction(page, left + 4, top + 4, left + 200, top + yDpi - 4)).toBe(1);
      expect(blackFraction(page, 0, 0, 1728, top - 4)).toBe(0);
      expect(blackFraction(page, left + 212, 0, 1728, page.height)).toBe(0);
      expect(blackFraction(page, 0, top + yDpi + 4, 1728, page.height)).toBe(0);
    },
  );

  it('turns a landscape page to portrait, clockwise, and says so', async () => {
    // A square at the top-left corner of a landscape A4 page ends up at the top-right.
    const pdf = await pdfWithRectangles([{ x: 0, y: 0, width: 100, height: 100 }], [841.89, 595.28]);
    const { pages, warnings } = await renderer.render(pdf, { name: 'plan.pdf' });
    const page = pages[0]!;
    expect(page.height).toBe(2292);
    expect(isBlack(page, 1700, 40)).toBe(true);
    expect(isBlack(page, 40, 40)).toBe(false);
    expect(warnings).toEqual(['plan.pdf is landscape and was turned to portrait']);
  });

  it('renders every page, in order', async () => {
    const pdf = await pdfWithRectangles(
      [0, 1, 2].map((i) => ({ x: 72, y: 72 + i * 200, width: 72, height: 72 })),
    );
    const { pages } = await renderer.render(pdf, { name: 'three.pdf' });
    expect(pages).toHaveLength(3);
    pages.forEach((page, i) =>
      expect(isBlack(page, 20 + 204 + 100, Math.round(((72 + i * 200 + 36) / 72) * 196))).toBe(true),
    );
  });

  it('halftones a photo embedded in a PDF and leaves its text exactly as thresholded', async () => {
    const doc = await PDFDocument.create();
    const page = doc.addPage([595.28, 841.89]);
    page.drawImage(await doc.embedJpg(await photoJpeg(800, 600)), { x: 50, y: 400, width: 495, height: 371 });
    const textOnly = await textPdf(1, 20);
    const [photo, textHalftone, textThreshold] = await Promise.all([
      renderer.render(await doc.save(), { name: 'brochure.pdf' }),
      renderer.render(textOnly, { name: 'letter.pdf' }),
      renderer.render(textOnly, { name: 'letter.pdf', mode: 'text' }),
    ]);
    const rendered = photo.pages[0]!;
    // The image spans x 50–545 pt, y 70–441 pt from the top; its gradient darkens to the left.
    const left = blackFraction(rendered, 230, 300, 430, 500);
    const right = blackFraction(rendered, 1300, 300, 1500, 500);
    expect(left).toBeGreaterThan(right + 0.2);
    expect(left).toBeLessThan(1);
    expect(blackFraction(rendered, 0, 1300, 1728, 2292)).toBe(0);
    // Text is drawn without anti-aliasing: pure black and white, so both modes agree bit for bit.
    expect(bitmapsEqual(textHalftone.pages[0]!, textThreshold.pages[0]!)).toBe(true);
    expect(blackCount(textHalftone.pages[0]!)).toBeGreaterThan(10_000);
  });

  it('takes a fax PDF (G4 page images) back page for page, bit-exact, without re-rendering', async () => {
    const letter = (
      await renderer.render(await textPdf(1, 30), { name: 'letter.pdf', resolution: 'standard' })
    ).pages[0]!;
    // A page longer than A4, as a fax machine sends a long document: rendering would shrink it
    // onto A4; taken as fax pages it keeps its length.
    const long: FaxPage = { ...createBitmap(1728, 1400), resolution: 'standard' };
    for (let y = 0; y < 1400; y += 7) long.data.fill(0xf0, y * 216 + 20, y * 216 + 40);
    const faxPdf = await writePdf([letter, long]);
    const same = await renderer.render(faxPdf, { name: 'received.pdf', resolution: 'standard' });
    expect(same.pages.map((page) => page.height)).toEqual([1146, 1400]);
    expect(bitmapsEqual(same.pages[0]!, letter)).toBe(true);
    expect(bitmapsEqual(same.pages[1]!, long)).toBe(true);
    // Sent at fine resolution, each standard row is simply doubled.
    const fine = (await renderer.render(faxPdf, { name: 'received.pdf', resolution: 'fine' })).pages;
    expect(fine.map((page) => page.height)).toEqual([2292, 2800]);
    for (const y of [100, 300, 700]) {
      const source = letter.data.subarray(y * 216, (y + 1) * 216);
      expect(fine[0]!.data.subarray(2 * y * 216, (2 * y + 1) * 216)).toEqual(source);
      expect(fine[0]!.data.subarray((2 * y + 1) * 216, (2 * y + 2) * 216)).toEqual(source);
    }
  });

  it('refuses more pages than the limit before rendering any', async () => {
    const pdf = await pdfWithRectangles(
      Array.from({ length: 5 }, () => ({ x: 0, y: 0, width: 1, height: 1 })),
    );
    const refusal = renderer.render(pdf, { name: 'big.pdf', limits: { maxPages: 4 } });
    await expect(refusal).rejects.toThrow(TooManyPagesError);
    await expect(refusal).rejects.toThrow('big.pdf has 5 pages; the limit is 4');
  });

  it('refuses a damaged PDF with a readable error', async () => {
    const pdf = await pdfWithRectangles([{ x: 0, y: 0, width: 10, height: 10 }]);
    const damaged = Buffer.concat([Buffer.from(pdf.subarray(0, 200)), Buffer.alloc(300, 0x41)]);
    await expect(renderer.render(damaged, { name: 'broken.pdf' })).rejects.toThrow(DocumentUnreadableError);
  });

  it('refuses presentations, which the installed LibreOffice cannot open, with advice', async () => {
    const pptx = zip([{ name: 'ppt/presentation.xml', content: '<p/>' }]);
    await expect(renderer.render(pptx, { name: 'deck.pptx' })).rejects.toThrow(
      'nothing faxable in deck.pptx: it is a presentation; send it as a PDF',
    );
  });

  it('refuses content that is nothing faxable, naming the attachment', async () => {
    const binary = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3]);
    await expect(renderer.render(binary, { name: 'setup.exe' })).rejects.toThrow(
      new NothingFaxableError('setup.exe'),
    );
  });

  it('keeps the caller’s bytes (they are copied into the worker) and warns about blank pages', async () => {
    const doc = await PDFDocument.create();
    doc.addPage();
    const pdf = await doc.save();
    const { pages, warnings } = await renderer.render(pdf, { name: 'blank.pdf' });
    expect(pdf.byteLength).toBeGreaterThan(0);
    expect(pages).toHaveLength(1);
    expect(warnings).toEqual(['blank.pdf is blank']);
  });
});
