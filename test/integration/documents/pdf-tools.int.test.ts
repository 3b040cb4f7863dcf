// Our fax PDFs against qpdf and poppler: structurally valid, and rendered by pdftoppm at the fax
// resolution they are pixel-equal to our pages. The reader gets the pages back out of our PDFs
// and out of tiff2pdf's, and refuses a password-protected PDF with a typed error.
import { readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bitmapsEqual, FAX_RESOLUTIONS, type FaxPage } from '../../../src/documents/page.ts';
import { readTiff } from '../../../src/documents/tiff/reader.ts';
import { writePdf } from '../../../src/documents/pdf/writer.ts';
import { readFaxPdf } from '../../../src/documents/pdf/reader.ts';
import { EncryptedDocumentError } from '../../../src/documents/image-errors.ts';
import { readPbm } from '../../helpers/fax-documents.ts';
import { makeCorpus, tool, type Corpus } from './corpus.ts';

let corpus: Corpus;
let pages: FaxPage[];
beforeAll(() => {
  corpus = makeCorpus();
  const fine = readTiff(readFileSync(corpus.file('gs-tiffg4-fine.tif')));
  const standard = readTiff(readFileSync(corpus.file('gs-tiffg4-standard.tif')));
  const b4 = readTiff(readFileSync(corpus.file('gs-tiffg4-b4.tif')));
  pages = [fine[0]!, standard[0]!, b4[1]!, { ...fine[1]!, resolution: 'superfine' }];
});

describe('PDF from fax pages', () => {
  it('passes qpdf --check and renders pixel-equal with pdftoppm at the fax resolution', async () => {
    const pdf = corpus.file('ours.pdf');
    writeFileSync(pdf, await writePdf(pages, { title: 'fax', date: new Date(Date.UTC(2026, 0, 1)) }));
    const check = tool('qpdf', ['--check', pdf]);
    expect(check.stdout).toContain('No syntax or stream encoding errors found');
    expect(check.stderr).toBe('');
    pages.forEach((page, index) => {
      const { xDpi, yDpi } = FAX_RESOLUTIONS[page.resolution];
      const prefix = corpus.file(`ours-render-${index}`);
      const n = String(index + 1);
      tool('pdftoppm', [
        '-mono',
        '-rx',
        String(xDpi),
        '-ry',
        String(yDpi),
        '-f',
        n,
        '-l',
        n,
        '-singlefile',
        pdf,
        prefix,
      ]);
      const rendered = readPbm(`${prefix}.pbm`);
      expect([rendered.width, rendered.height]).toEqual([page.width, page.height]);
      expect(bitmapsEqual(rendered, page), `page ${n} renders differently`).toBe(true);
    });
    const info = tool('pdfinfo', [pdf]).stdout;
    expect(info).toMatch(/Page size:\s+609\.88\d* x 808\.16\d* pts/); // 1728 px / 204 dpi = 8.47 in
  });

  it('our reader returns the pages of our PDF unchanged', async () => {
    const read = await readFaxPdf(await writePdf(pages));
    expect(read.map((p) => p.resolution)).toEqual(pages.map((p) => p.resolution));
    read.forEach((page, i) => expect(bitmapsEqual(page, pages[i]!)).toBe(true));
  });

  it('reads the G4 pages of a PDF made by tiff2pdf', async () => {
    const pdf = corpus.file('tiff2pdf.pdf');
    tool('tiff2pdf', ['-o', pdf, corpus.file('gs-tiffg4-fine.tif')]);
    const read = await readFaxPdf(readFileSync(pdf));
    const source = readTiff(readFileSync(corpus.file('gs-tiffg4-fine.tif')));
    expect(read).toHaveLength(source.length);
    read.forEach((page, i) => {
      expect(page.resolution).toBe('fine');
      expect(bitmapsEqual(page, source[i]!)).toBe(true);
    });
  });

  it('a password-protected PDF is refused with EncryptedDocumentError', async () => {
    const plain = corpus.file('plain.pdf');
    const locked = corpus.file('locked.pdf');
    writeFileSync(plain, await writePdf(pages.slice(0, 1)));
    tool('qpdf', ['--encrypt', 'user-secret', 'owner-secret', '256', '--', plain, locked]);
    await expect(readFaxPdf(readFileSync(locked))).rejects.toThrow(EncryptedDocumentError);
  });
});
