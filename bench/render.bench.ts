// PDF → fax G4 pages per second: our pipeline (PDFium in a render worker, 1-bit packing, our MMR
// encoder) against ghostscript's tiffg4 device on the same PDF in the same run, one process each
// at a time (ours: the render worker, then this process encoding; never both at once).
// Two documents: 50 pages of dense text (the anchor's home ground) and 10 full-page photos.
// Usage: npm run bench -- render [textPages] [photoPages]
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import { DocumentRenderer, encodePage, type BitonalMode } from '../src/documents/index.ts';
import { childProcessIds, ownAndChildrenCpuMs, reapedChildrenCpuMs } from './cpu.ts';
import { report } from './report.ts';

const execFileAsync = promisify(execFile);

export async function run(args: readonly string[]): Promise<void> {
  const textPages = Number(args[0] ?? 50);
  const photoPages = Number(args[1] ?? 10);
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-render-'));
  const renderer = new DocumentRenderer({ workers: 1 });
  try {
    await compare(renderer, dir, 'text', await textPdf(textPages), textPages, 'halftone');
    await compare(renderer, dir, 'photo', await photoPdf(photoPages), photoPages, 'halftone');
    await compareRenderers(renderer, dir, textPages);
  } finally {
    await renderer.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function compare(
  renderer: DocumentRenderer,
  dir: string,
  kind: string,
  pdf: Uint8Array,
  pages: number,
  mode: BitonalMode,
): Promise<void> {
  const input = path.join(dir, `${kind}.pdf`);
  await writeFile(input, pdf);
  // Warm both: the worker's PDFium instance, the JIT, the page cache for ghostscript's binary.
  await oursOnce(renderer, pdf, mode, []);
  await gsOnce(input, path.join(dir, 'warm.tif'));
  // The render worker, now running: its CPU time counts as ours.
  const workers = childProcessIds();
  const rounds = 5;
  let oursMs = Infinity;
  let oursCpuMs = Infinity;
  let g4Bytes = 0;
  let gsMs = Infinity;
  let gsCpuMs = Infinity;
  for (let round = 0; round < rounds; round++) {
    const ours = await oursOnce(renderer, pdf, mode, workers);
    oursMs = Math.min(oursMs, ours.ms);
    oursCpuMs = Math.min(oursCpuMs, ours.cpuMs);
    g4Bytes = ours.bytes;
    const gs = await gsOnce(input, path.join(dir, `${kind}.tif`));
    gsMs = Math.min(gsMs, gs.ms);
    gsCpuMs = Math.min(gsCpuMs, gs.cpuMs);
  }
  const gsBytes = (await stat(path.join(dir, `${kind}.tif`))).size;
  report({
    bench: 'render',
    metric: `${kind}_pdf_to_g4_pages_per_s`,
    ours: (pages * 1000) / oursMs,
    anchor: 'gs -sDEVICE=tiffg4 -r204x196 -g1728x2292',
    anchor_value: (pages * 1000) / gsMs,
    pages,
    mode,
    measured:
      `best of ${rounds} interleaved runs, one process at a time: ours = render worker, then G4 ` +
      'encoding in the calling process (never both at once); gs = one process per run, start to exit; ' +
      '*_cpu = pages per CPU-second, user + system of the processes (less sensitive to a busy machine)',
    ours_cpu: Math.round((pages * 10_000) / oursCpuMs) / 10,
    anchor_cpu: Math.round((pages * 10_000) / gsCpuMs) / 10,
    cpu_ratio: Math.round((gsCpuMs / oursCpuMs) * 1000) / 1000,
  });
  report({
    bench: 'render',
    metric: `${kind}_g4_bytes_per_page`,
    ours: g4Bytes / pages,
    anchor: 'gs tiffg4 file size per page',
    anchor_value: gsBytes / pages,
    higherIsBetter: false,
  });
}

/**
 * Rendering alone (no G4) against the other renderers available as subprocesses, each producing
 * 1-bit pages at 204×196 dpi from the same text PDF: the measurement behind choosing PDFium.
 */
async function compareRenderers(renderer: DocumentRenderer, dir: string, pages: number): Promise<void> {
  const input = path.join(dir, 'text.pdf');
  const pdf = await readFile(input);
  const oursMs = await best(
    async () => void (await renderer.render(pdf, { name: 'bench.pdf', mode: 'text' })),
  );
  const anchors: [string, string, string[]][] = [
    ['pdftoppm -mono', 'pdftoppm', ['-mono', '-rx', '204', '-ry', '196', input, path.join(dir, 'poppler')]],
    [
      'mutool draw -c mono',
      'mutool',
      ['draw', '-q', '-r', '204', '-c', 'mono', '-o', path.join(dir, 'mu%d.pbm'), input],
    ],
    [
      'gs -sDEVICE=pbmraw',
      'gs',
      [
        '-q',
        '-dNOPAUSE',
        '-dBATCH',
        '-sDEVICE=pbmraw',
        '-r204x196',
        '-g1728x2292',
        `-sOutputFile=${path.join(dir, 'gs%d.pbm')}`,
        input,
      ],
    ],
  ];
  for (const [anchor, command, args] of anchors) {
    const anchorMs = await best(async () => void (await execFileAsync(command, args)));
    report({
      bench: 'render',
      metric: 'text_pdf_render_1bit_pages_per_s',
      ours: (pages * 1000) / oursMs,
      anchor,
      anchor_value: (pages * 1000) / anchorMs,
      pages,
    });
  }
}

async function best(task: () => Promise<void>, rounds = 3): Promise<number> {
  await task();
  let fastest = Infinity;
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    await task();
    fastest = Math.min(fastest, performance.now() - started);
  }
  return fastest;
}

async function oursOnce(
  renderer: DocumentRenderer,
  pdf: Uint8Array,
  mode: BitonalMode,
  workers: readonly number[],
): Promise<{ ms: number; cpuMs: number; bytes: number }> {
  const cpuBefore = ownAndChildrenCpuMs(workers);
  const started = performance.now();
  const { pages } = await renderer.render(pdf, {
    name: 'bench.pdf',
    resolution: 'fine',
    paperSize: 'a4',
    mode,
  });
  let bytes = 0;
  for (const page of pages) bytes += encodePage(page, { scheme: 'mmr' }).length;
  return { ms: performance.now() - started, cpuMs: ownAndChildrenCpuMs(workers) - cpuBefore, bytes };
}

async function gsOnce(input: string, output: string): Promise<{ ms: number; cpuMs: number }> {
  const cpuBefore = reapedChildrenCpuMs();
  const started = performance.now();
  await execFileAsync('gs', [
    '-q',
    '-dNOPAUSE',
    '-dBATCH',
    '-sDEVICE=tiffg4',
    '-r204x196',
    '-g1728x2292',
    `-sOutputFile=${output}`,
    input,
  ]);
  const ms = performance.now() - started;
  const cpuMs = reapedChildrenCpuMs() - cpuBefore;
  await readFile(output).then((file) => {
    if (file.length === 0) throw new Error('ghostscript wrote no output');
  });
  return { ms, cpuMs };
}

async function textPdf(pages: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let p = 0; p < pages; p++) {
    const page = doc.addPage([595.28, 841.89]);
    for (let line = 0; line < 60; line++) {
      page.drawText(
        `Page ${p + 1}, line ${line + 1}: The quick brown fox jumps over the lazy dog. Invoice 4711, EUR 1,234.56`,
        {
          x: 56,
          y: 790 - line * 12.4,
          size: 10,
          font,
        },
      );
    }
  }
  return doc.save();
}

/** Pages each filled by a 1600×2200 photo-like JPEG (gradients, texture, a dark disc). */
async function photoPdf(pages: number): Promise<Uint8Array> {
  const width = 1600;
  const height = 2200;
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const disc = Math.hypot(x - width / 2, y - height / 2) < 400;
      const texture = 40 * Math.sin(x / 13) * Math.cos(y / 17);
      const value = disc ? 30 : Math.max(0, Math.min(255, (255 * x) / width + texture));
      pixels[i] = value;
      pixels[i + 1] = disc ? 30 : (255 * y) / height;
      pixels[i + 2] = value;
    }
  }
  const jpeg = await sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
  const doc = await PDFDocument.create();
  const image = await doc.embedJpg(jpeg);
  for (let p = 0; p < pages; p++) {
    const page = doc.addPage([595.28, 841.89]);
    page.drawImage(image, { x: 20, y: 20, width: 555.28, height: 801.89 });
  }
  return doc.save();
}
