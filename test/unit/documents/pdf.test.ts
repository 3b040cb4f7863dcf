// Fax PDFs in process: page geometry from the resolution, round trip through our reader, and
// typed refusals for what is not a fax PDF.
import { PDFDocument } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { bitmapsEqual, createBitmap, type FaxPage } from '../../../src/documents/page.ts';
import { pageSizePoints, writePdf } from '../../../src/documents/pdf/writer.ts';
import { readFaxPdf } from '../../../src/documents/pdf/reader.ts';
import {
  ImageLimitError,
  InvalidImageError,
  UnsupportedImageError,
} from '../../../src/documents/image-errors.ts';
import { syntheticPage } from './synthetic.ts';

const fine: FaxPage = syntheticPage(1728, 400, 1);
const standard: FaxPage = { ...syntheticPage(1728, 200, 2), resolution: 'standard' };

describe('fax PDF', () => {
  it('sizes pages from pixels and resolution (1728 px at 204 dpi = 8.47 in)', () => {
    expect(pageSizePoints({ ...fine, height: 2200 })).toEqual({ width: 609.8823, height: 808.1632 });
    expect(pageSizePoints({ ...standard, height: 1100 })).toEqual({ width: 609.8823, height: 808.1632 });
  });

  it('embeds the G4 data unchanged and reads the pages back', async () => {
    const pdf = await writePdf([fine, standard]);
    const read = await readFaxPdf(pdf);
    expect(read.map((p) => [p.width, p.height, p.resolution])).toEqual([
      [1728, 400, 'fine'],
      [1728, 200, 'standard'],
    ]);
    expect(bitmapsEqual(read[0]!, fine)).toBe(true);
    expect(bitmapsEqual(read[1]!, standard)).toBe(true);
    expect(Buffer.from(pdf).toString('latin1')).toMatch(/\/Filter \/CCITTFaxDecode/);
  });

  it('refuses what is not a fax PDF with typed errors', async () => {
    await expect(readFaxPdf(new TextEncoder().encode('not a pdf at all'))).rejects.toThrow(InvalidImageError);
    const blank = await PDFDocument.create();
    blank.addPage();
    await expect(readFaxPdf(await blank.save())).rejects.toThrow(
      new UnsupportedImageError('page 1 of the PDF is not a fax image (no CCITT image on it)'),
    );
    const pdf = await writePdf([fine, fine, fine]);
    await expect(readFaxPdf(pdf, { maxPages: 2 })).rejects.toThrow(ImageLimitError);
    await expect(readFaxPdf(pdf, { maxFileBytes: 100 })).rejects.toThrow(/exceeds the limit of 100/);
  });

  it('refuses a PDF whose pages would decode to more than 256 MiB before decoding', async () => {
    const tall: FaxPage = { ...createBitmap(2432, 8000), resolution: 'fine' };
    const bomb = await writePdf(Array.from({ length: 120 }, () => tall));
    await expect(readFaxPdf(bomb)).rejects.toThrow(
      new ImageLimitError('the pages would decode to 278 MiB, more than the limit of 256 MiB'),
    );
  });
});
