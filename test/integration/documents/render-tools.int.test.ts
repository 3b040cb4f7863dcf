// Rendering checked against tools no one here wrote: poppler's pdftoppm draws the same PDF to
// (nearly) the same pixels, qpdf-encrypted PDFs are refused by name, ghostscript's multi-page
// G4 TIFFs come through page for page, and LibreOffice converts office files in a subprocess
// that a timeout kills with its whole process group.
import { execFile } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DocumentRenderer,
  PasswordProtectedError,
  RenderTimeoutError,
  pageGeometry,
  type Bitmap,
} from '../../../src/documents/index.ts';
import { fitToPage } from '../../../src/documents/render/geometry.ts';
import { convertOfficeToPdf } from '../../../src/documents/render/office.ts';
import { makeTempDir, waitFor } from '../../helpers/index.ts';
import {
  blackCount,
  blackFraction,
  isBlack,
  minimalDocx,
  pdfWithRectangles,
} from '../../unit/documents/render/support.ts';

const run = promisify(execFile);
const renderer = new DocumentRenderer({ workers: 1 });
let dir: string;

beforeAll(() => {
  dir = makeTempDir('render-tools');
});

/** Runs ghostscript on a file of the test directory, writing another. */
async function ghostscript(input: string, output: string, device: readonly string[]): Promise<void> {
  await run('gs', [
    '-q',
    '-dNOPAUSE',
    '-dBATCH',
    ...device,
    `-sOutputFile=${path.join(dir, output)}`,
    path.join(dir, input),
  ]);
}

/** plain.pdf encrypted by qpdf (AES-256) with the given user password ('' = opens without one). */
async function encryptPlainPdf(
  output: string,
  userPassword: string,
  restrictions: readonly string[] = [],
): Promise<void> {
  const files = [path.join(dir, 'plain.pdf'), path.join(dir, output)];
  await run('qpdf', ['--encrypt', userPassword, 'owner', '256', ...restrictions, '--', ...files]);
}

/** A multi-page G4 fax TIFF of an A4 PDF, as ghostscript's tiffg4 device writes it. */
async function faxTiff(input: string, output: string, resolution: 'standard' | 'fine'): Promise<void> {
  const geometry = resolution === 'fine' ? ['-r204x196', '-g1728x2292'] : ['-r204x98', '-g1728x1146'];
  await ghostscript(input, output, ['-sDEVICE=tiffg4', ...geometry]);
}

/** The throwaway LibreOffice profiles of running soffice processes (one per conversion). */
async function officeProfilesInUse(): Promise<Set<string>> {
  const profiles = new Set<string>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const commandLine = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const profile = /faxswitch-office-[^/\0]+/.exec(commandLine);
    if (profile !== null) profiles.add(profile[0]);
  }
  return profiles;
}

/** Processes of a process group that are not zombies, from /proc/<pid>/stat (field 5 is the group). */
async function liveProcessesInGroup(group: number): Promise<number[]> {
  const live: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'latin1').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === group && fields[0] !== 'Z') live.push(Number(entry));
  }
  return live;
}
afterAll(() => renderer.close());

/** A page of text in an embedded font (so every renderer draws the same glyphs), a box and a rule. */
const TEXT_PAGE_PS = `%!PS
<< /PageSize [595 842] >> setpagedevice
/NimbusSans-Regular findfont 10 scalefont setfont
0 1 59 { 12.4 mul 790 exch sub 56 exch moveto (The quick brown fox jumps over the lazy dog. Invoice 4711, EUR 1,234.56) show } for
newpath 400 40 moveto 500 40 lineto 500 20 lineto 400 20 lineto closepath fill
2 setlinewidth 56 50 moveto 540 50 lineto stroke
showpage
`;

function readPbm(file: Buffer): Bitmap {
  const [magic, width, height] = file.toString('latin1', 0, 32).split(/\s+/);
  expect(magic).toBe('P4');
  const offset = file.indexOf('\n', file.indexOf(height!)) + 1;
  const w = Number(width);
  const h = Number(height);
  return {
    width: w,
    height: h,
    rowBytes: Math.ceil(w / 8),
    data: file.subarray(offset, offset + Math.ceil(w / 8) * h),
  };
}

/** Share of `a`'s black pixels that have a black pixel in `b` within one pixel (b shifted by dx). */
function coveredWithin1px(a: Bitmap, b: Bitmap, ax: number, bx: number): number {
  let black = 0;
  let covered = 0;
  const blackIn = (map: Bitmap, x: number, y: number): boolean =>
    x >= 0 && y >= 0 && x < map.width && y < map.height && isBlack(map, x, y);
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      if (!isBlack(a, x, y)) continue;
      black++;
      const tx = x - ax + bx;
      let hit = false;
      for (let dy = -1; dy <= 1 && !hit; dy++)
        for (let dx = -1; dx <= 1 && !hit; dx++) hit = blackIn(b, tx + dx, y + dy);
      if (hit) covered++;
    }
  }
  return covered / black;
}

describe('PDF rendering agrees with poppler', () => {
  it('draws a text page like pdftoppm -mono at 204×196 dpi', async () => {
    await writeFile(path.join(dir, 'page.ps'), TEXT_PAGE_PS);
    await ghostscript('page.ps', 'page.pdf', ['-sDEVICE=pdfwrite']);
    await run('pdftoppm', [
      '-mono',
      '-rx',
      '204',
      '-ry',
      '196',
      '-singlefile',
      path.join(dir, 'page.pdf'),
      path.join(dir, 'poppler'),
    ]);
    const poppler = readPbm(await readFile(path.join(dir, 'poppler.pbm')));
    const { pages } = await renderer.render(await readFile(path.join(dir, 'page.pdf')), {
      name: 'page.pdf',
      mode: 'text',
    });
    const ours = pages[0]!;
    // Our page is the fax width; the PDF page sits centred in it, at scale 1.
    const place = fitToPage(pageGeometry('fine', 'a4'), 595 / 72, 842 / 72, {
      marginIn: 0,
      verticalAlign: 'center',
    });
    expect(poppler.width).toBe(place.width);
    expect(Math.abs(poppler.height - ours.height)).toBeLessThanOrEqual(1);
    expect(blackCount(ours) / blackCount(poppler)).toBeGreaterThan(0.95);
    expect(blackCount(ours) / blackCount(poppler)).toBeLessThan(1.05);
    expect(coveredWithin1px(ours, poppler, place.x, 0)).toBeGreaterThan(0.98);
    expect(coveredWithin1px(poppler, ours, 0, place.x)).toBeGreaterThan(0.98);
    expect(blackFraction(ours, 0, 0, place.x, ours.height)).toBe(0);
  });
});

describe('encrypted PDFs', () => {
  it('refuses a PDF that needs a password to open, naming it', async () => {
    await writeFile(
      path.join(dir, 'plain.pdf'),
      await pdfWithRectangles([{ x: 72, y: 72, width: 72, height: 72 }]),
    );
    await encryptPlainPdf('locked.pdf', 'secret');
    const refusal = renderer.render(await readFile(path.join(dir, 'locked.pdf')), { name: 'invoice.pdf' });
    await expect(refusal).rejects.toThrow(PasswordProtectedError);
    await expect(refusal).rejects.toThrow('invoice.pdf is password protected');
  });

  it('renders a PDF that only has an owner password (restrictions, no password to open)', async () => {
    await encryptPlainPdf('restricted.pdf', '', ['--modify=none']);
    const { pages } = await renderer.render(await readFile(path.join(dir, 'restricted.pdf')), {
      name: 'restricted.pdf',
    });
    expect(blackFraction(pages[0]!, 20 + 210, 200, 20 + 400, 380)).toBe(1);
  });
});

describe('fax TIFFs from ghostscript', () => {
  it('renders each page of a multi-page G4 TIFF', async () => {
    await writeFile(
      path.join(dir, 'three.pdf'),
      await pdfWithRectangles([0, 1, 2].map((i) => ({ x: 72, y: 72 + i * 200, width: 144, height: 72 }))),
    );
    await faxTiff('three.pdf', 'three.tif', 'fine');
    const { pages, type } = await renderer.render(await readFile(path.join(dir, 'three.tif')), {
      name: 'fax.tif',
      mode: 'text',
    });
    expect(type).toBe('tiff');
    expect(pages).toHaveLength(3);
    for (const [i, page] of pages.entries()) {
      expect(page).toMatchObject({ width: 1728, height: 2292 });
      const top = Math.round(((72 + i * 200) / 72) * 196);
      expect(blackCount(page)).toBeGreaterThan(0.8 * 400 * 196);
      expect(blackFraction(page, 0, 0, 1728, top - 60)).toBe(0);
    }
  });

  it('re-samples a standard-resolution fax TIFF to the fine resolution being sent', async () => {
    await faxTiff('three.pdf', 'std.tif', 'standard');
    const { pages } = await renderer.render(await readFile(path.join(dir, 'std.tif')), {
      name: 'std.tif',
      resolution: 'fine',
    });
    expect(pages).toHaveLength(3);
    const page = pages[1]!;
    expect(page).toMatchObject({ width: 1728, height: 2292, resolution: 'fine' });
    // The second page's box spans 272–344 pt from the top: rows 740–936 at 196 dpi, x 204–612.
    expect(blackFraction(page, 214, 750, 600, 926)).toBe(1);
    expect(blackFraction(page, 0, 0, 1728, 730)).toBe(0);
    expect(blackFraction(page, 0, 946, 1728, 2292)).toBe(0);
  });
});

describe('office documents through LibreOffice', () => {
  it('renders a DOCX', async () => {
    const { pages, type } = await renderer.render(minimalDocx(['FAX TEST', 'Second paragraph']), {
      name: 'letter.docx',
    });
    expect(type).toBe('docx');
    expect(pages).toHaveLength(1);
    expect(pages[0]).toMatchObject({ width: 1728, height: 2292 });
    // 36 pt bold text in the top margin area of the page, nothing in the bottom half.
    expect(blackFraction(pages[0]!, 0, 0, 1728, 600)).toBeGreaterThan(0.01);
    expect(blackFraction(pages[0]!, 0, 1200, 1728, 2292)).toBe(0);
  }, 60_000);

  it('renders an RTF', async () => {
    const rtf = Buffer.from(
      '{\\rtf1\\ansi{\\fonttbl\\f0 Liberation Sans;}\\f0\\fs96 \\b RTF works\\b0\\par}',
    );
    const { pages, type } = await renderer.render(rtf, { name: 'note.rtf' });
    expect(type).toBe('rtf');
    expect(pages).toHaveLength(1);
    expect(blackFraction(pages[0]!, 0, 0, 1728, 600)).toBeGreaterThan(0.01);
  }, 60_000);

  it('recognises and renders XLSX, ODT, DOC and XLS files as LibreOffice writes them', async () => {
    await writeFile(path.join(dir, 'table.csv'), 'Item,Amount\nWidgets,300\nGadgets,42\n');
    await writeFile(path.join(dir, 'letter.docx'), minimalDocx(['Hello ODT']));
    const profile = `-env:UserInstallation=file://${path.join(dir, 'lo-profile')}`;
    // One LibreOffice run per target format; each converts its input next to it.
    for (const [target, input] of [
      ['xlsx', 'table.csv'],
      ['xls', 'table.csv'],
      ['odt', 'letter.docx'],
      ['doc', 'letter.docx'],
    ] as const) {
      await run('soffice', [
        profile,
        '--headless',
        '--convert-to',
        target,
        '--outdir',
        dir,
        path.join(dir, input),
      ]);
    }
    for (const [file, type] of [
      ['table.xlsx', 'xlsx'],
      ['table.xls', 'xls'],
      ['letter.odt', 'odt'],
      ['letter.doc', 'doc'],
    ] as const) {
      const rendered = await renderer.render(await readFile(path.join(dir, file)), { name: file });
      expect(rendered.type).toBe(type);
      expect(rendered.pages).toHaveLength(1);
      expect(blackFraction(rendered.pages[0]!, 0, 0, 1728, 600)).toBeGreaterThan(0.001);
    }
  }, 90_000);

  it('runs no more LibreOffice conversions at once than configured', async () => {
    const single = new DocumentRenderer({ workers: 1, officeConversions: 1 });
    let most = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        most = Math.max(most, (await officeProfilesInUse()).size);
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    })();
    try {
      const docs = await Promise.all([
        single.render(minimalDocx(['one']), { name: 'one.docx' }),
        single.render(minimalDocx(['two']), { name: 'two.docx' }),
      ]);
      expect(docs.map((doc) => doc.pages.length)).toEqual([1, 1]);
    } finally {
      sampling = false;
      await sampler;
      await single.close();
    }
    expect(most).toBe(1);
  }, 60_000);

  it('kills LibreOffice and its whole process group when the time limit passes', async () => {
    let pid = 0;
    const started = performance.now();
    const refusal = convertOfficeToPdf(minimalDocx(['slow']), {
      name: 'slow.docx',
      type: 'docx',
      timeoutMs: 300,
      maxPdfBytes: 1 << 20,
      onSpawn: (spawned) => (pid = spawned),
    });
    await expect(refusal).rejects.toThrow(RenderTimeoutError);
    await expect(refusal).rejects.toThrow('slow.docx took longer than 300 ms to render and was abandoned');
    expect(performance.now() - started).toBeLessThan(5000);
    expect(pid).toBeGreaterThan(0);
    // Killed processes may linger a moment as zombies until init reaps them; none may still run.
    await waitFor(async () => (await liveProcessesInGroup(pid)).length === 0, {
      timeoutMs: 3000,
      what: 'LibreOffice to be gone',
    });
  }, 30_000);
});

describe('renderDocument (the process-wide renderer)', () => {
  it('renders and then lets a short-lived process (a CLI, a script) exit on its own', async () => {
    const script = [
      `import { renderDocument } from ${JSON.stringify(path.resolve('src/documents/index.ts'))};`,
      "const { pages } = await renderDocument(Buffer.from('hello'), { name: 'note.txt' });",
      'console.log(pages.length, pages[0].width, pages[0].height);',
    ].join('\n');
    await writeFile(path.join(dir, 'cli.ts'), script);
    const started = performance.now();
    const { stdout } = await run(process.execPath, [path.join(dir, 'cli.ts')], { timeout: 20_000 });
    expect(stdout.trim()).toBe('1 1728 2292');
    expect(performance.now() - started).toBeLessThan(20_000);
  }, 30_000);
});
