// Test fax documents rendered by ghostscript (an independent renderer) at exact fax geometry, and
// their pages decoded by our own T.4/T.6 codec, to compare received pixels (which the fax engine
// decodes with libtiff) against. Each document is made once per process.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  FAX_RESOLUTIONS,
  readTiff,
  type Bitmap,
  type FaxPage,
  type FaxResolution,
} from '../../src/documents/index.ts';
import { makeTempDir } from './services.ts';

const GEOMETRY: Record<FaxResolution, { dpi: string; height: number }> = {
  standard: { dpi: '204x98', height: 1100 },
  fine: { dpi: '204x196', height: 2200 },
  superfine: { dpi: '204x391', height: 4400 },
};

let dir: string | undefined;
const made = new Map<string, string>();

/** The PostScript of a `pages`-page text document whose pages differ from each other. */
function postScript(key: string, title: string, pages: number): string {
  dir ??= makeTempDir('faxswitch-docs-');
  const ps = path.join(dir, `${key}.ps`);
  const lines: string[] = ['%!PS', '/Helvetica findfont 22 scalefont setfont'];
  for (let p = 1; p <= pages; p++) {
    lines.push(`72 740 moveto (faxswitch test page ${p} of ${pages}, ${title}) show`);
    for (let i = 0; i < 24; i++)
      lines.push(
        `${72 + ((i * 7 + p * 13) % 40)} ${700 - i * 26} moveto (Line ${i}: the quick brown fox ${p * 100 + i} jumps over the lazy dog) show`,
      );
    lines.push('showpage');
  }
  writeFileSync(ps, lines.join('\n'));
  return ps;
}

/** A `pages`-page text document as an A4 PDF (ghostscript's pdfwrite), as a mail client attaches it. */
export function faxPdf(pages: number): string {
  const key = `pdf-${pages}`;
  const existing = made.get(key);
  if (existing) return existing;
  const ps = postScript(key, 'PDF', pages);
  const out = path.join(dir!, `${key}.pdf`);
  execFileSync('gs', [
    '-q',
    '-dNOPAUSE',
    '-dBATCH',
    '-dSAFER',
    '-sDEVICE=pdfwrite',
    '-sPAPERSIZE=a4',
    `-sOutputFile=${out}`,
    ps,
  ]);
  made.set(key, out);
  return out;
}

/** A `pages`-page text document as TIFF G4, 1728 px wide, at the given resolution. */
export function faxDocument(resolution: FaxResolution, pages = 3): string {
  const key = `${resolution}-${pages}`;
  const existing = made.get(key);
  if (existing) return existing;
  const ps = postScript(key, resolution, pages);
  const out = path.join(dir!, `${key}.tif`);
  const g = GEOMETRY[resolution];
  execFileSync('gs', [
    '-q',
    '-dNOPAUSE',
    '-dBATCH',
    '-dSAFER',
    '-sDEVICE=tiffg4',
    `-r${g.dpi}`,
    `-g1728x${g.height}`,
    `-sOutputFile=${out}`,
    ps,
  ]);
  made.set(key, out);
  return out;
}

/** Page `pageNumber` (1-based) of a TIFF file, decoded by our codec (src/documents). */
export function tiffPage(file: string, pageNumber: number): FaxPage {
  const page = readTiff(readFileSync(file))[pageNumber - 1];
  if (!page) throw new Error(`${file} has no page ${pageNumber}`);
  return page;
}

/** Reads a binary PBM (P4): the same packing as our Bitmap (MSB first, 1 = black). */
export function readPbm(file: string): Bitmap {
  const bytes = readFileSync(file);
  const header = /^P4\s+(\d+)\s+(\d+)\s/.exec(bytes.subarray(0, 40).toString('latin1'));
  if (header === null) throw new Error(`${file} is not a binary PBM`);
  const width = Number(header[1]);
  const height = Number(header[2]);
  const rowBytes = Math.ceil(width / 8);
  return { width, height, rowBytes, data: new Uint8Array(bytes.subarray(header[0].length)) };
}

/** Every page of a PDF as poppler (`pdftoppm -mono`, an independent renderer) draws it at `resolution`. */
export function pdfPagesByPoppler(pdf: Uint8Array, resolution: FaxResolution): Bitmap[] {
  const work = makeTempDir('faxswitch-pdf-');
  const file = path.join(work, 'document.pdf');
  writeFileSync(file, pdf);
  const { xDpi, yDpi } = FAX_RESOLUTIONS[resolution];
  execFileSync('pdftoppm', [
    '-mono',
    '-rx',
    String(xDpi),
    '-ry',
    String(yDpi),
    file,
    path.join(work, 'page'),
  ]);
  return readdirSync(work)
    .filter((name) => name.endsWith('.pbm'))
    .sort()
    .map((name) => readPbm(path.join(work, name)));
}

/** Rows at the top of a sent page that carry the header line a fax machine prints. */
export const HEADER_ROWS = 32;

/** Two pages equal from `fromRow` down (a header line above may differ by design). */
export function equalBelow(a: Bitmap, b: Bitmap, fromRow: number): boolean {
  if (a.width !== b.width || a.height !== b.height) return false;
  const start = fromRow * a.rowBytes;
  return Buffer.from(a.data.subarray(start)).equals(Buffer.from(b.data.subarray(start)));
}
