// Codec throughput against libtiff: ghostscript renders a 100-page text-heavy document to a G4
// TIFF (generated here, in a temp dir); then, repeatedly and interleaved, `tiffcp -c g3|g3:2d|g4|none`
// converts it (whole process timed: start, read, decode, encode, write) and we do the same
// conversion in process, page by page as tiffcp does (read a page from the file, decode, encode,
// write; no process start). Medians.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { reapedChildrenCpuMs } from './cpu.ts';
import { report } from './report.ts';
import { transcodeTiff, type TiffCompression } from '../src/documents/index.ts';

const PAGES = 100;

/** Text-heavy pages: 60 lines of small type each, a rule and a box, like a typical business fax. */
function postscript(pages: number): string {
  return `%!PS
/Helvetica findfont 9 scalefont setfont
1 1 ${pages} { /p exch def
  40 770 moveto (Invoice and statement of account - page ) show p 4 string cvs show
  0 1 59 { /i exch def 40 750 i 12 mul sub moveto
    (Item ) show i p add 5 string cvs show
    (  Delivery of goods as agreed, quantity 12, unit price 47.50 EUR, total 570.00 EUR, ref ) show
    p i mul 7 string cvs show } for
  newpath 40 25 moveto 570 25 lineto 1 setlinewidth stroke
  newpath 400 30 150 40 rectstroke
  showpage } for
`;
}

interface Timing {
  readonly wallMs: number;
  readonly cpuMs: number;
}

function runTool(command: string, args: readonly string[]): Timing {
  const cpuBefore = reapedChildrenCpuMs();
  const started = performance.now();
  const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const wallMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`${command} failed: ${String(result.stderr)}`);
  return { wallMs, cpuMs: reapedChildrenCpuMs() - cpuBefore };
}

function timeInProcess(work: () => void): Timing {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  work();
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function runBench(args: readonly string[]): Promise<void> {
  await Promise.resolve();
  const repetitions = Number(args[0] ?? 7);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faxswitch-bench-codec-'));
  try {
    const source = path.join(dir, 'text.ps');
    const input = path.join(dir, 'in.tif');
    writeFileSync(source, postscript(PAGES));
    runTool('gs', [
      '-q',
      '-dNOPAUSE',
      '-dBATCH',
      '-dSAFER',
      '-sDEVICE=tiffg4',
      '-r204x196',
      '-g1728x2200',
      `-sOutputFile=${input}`,
      source,
    ]);

    // The same pages uncompressed, so that encoding can be timed apart from decoding.
    const raw = path.join(dir, 'raw.tif');
    runTool('tiffcp', ['-c', 'none', input, raw]);
    const conversions: { metric: string; from: string; tiffcp: string; ours: TiffCompression }[] = [
      { metric: 'decode_g4_pages_per_s', from: input, tiffcp: 'none', ours: 'none' },
      { metric: 'encode_g4_pages_per_s', from: raw, tiffcp: 'g4', ours: 'g4' },
      { metric: 'encode_g3_pages_per_s', from: raw, tiffcp: 'g3', ours: 'g3' },
      { metric: 'encode_g3_2d_pages_per_s', from: raw, tiffcp: 'g3:2d', ours: 'g3-2d' },
      { metric: 'transcode_g4_to_g3_pages_per_s', from: input, tiffcp: 'g3', ours: 'g3' },
      { metric: 'transcode_g4_to_g4_pages_per_s', from: input, tiffcp: 'g4', ours: 'g4' },
    ];
    const ours = new Map<string, Timing[]>();
    const anchors = new Map<string, Timing[]>();
    const convert = (from: string, compression: TiffCompression): Timing =>
      timeInProcess(() => {
        const input = openSync(from, 'r');
        const output = openSync(path.join(dir, `ours-${compression}.tif`), 'w');
        try {
          transcodeTiff(input, (part) => writeSync(output, part), { compression });
        } finally {
          closeSync(input);
          closeSync(output);
        }
      });
    for (const c of conversions) convert(c.from, c.ours); // warm-up: a running switch has a warm JIT
    for (let rep = 0; rep < repetitions; rep++) {
      for (const c of conversions) {
        const output = path.join(dir, `tiffcp-${c.tiffcp}.tif`);
        anchors.set(c.metric, [
          ...(anchors.get(c.metric) ?? []),
          runTool('tiffcp', ['-c', c.tiffcp, c.from, output]),
        ]);
        ours.set(c.metric, [...(ours.get(c.metric) ?? []), convert(c.from, c.ours)]);
      }
    }
    const pagesPerSecond = (ms: number): number => (PAGES * 1000) / ms;
    for (const c of conversions) {
      const oursWall = median(ours.get(c.metric)!.map((t) => t.wallMs));
      const anchorWall = median(anchors.get(c.metric)!.map((t) => t.wallMs));
      const oursCpu = median(ours.get(c.metric)!.map((t) => t.cpuMs));
      const anchorCpu = median(anchors.get(c.metric)!.map((t) => t.cpuMs));
      report({
        bench: 'codec',
        metric: c.metric,
        ours: pagesPerSecond(oursWall),
        anchor: 'tiffcp',
        anchor_value: pagesPerSecond(anchorWall),
        measured:
          `median of ${repetitions} interleaved runs, ${PAGES} fine pages 1728x2200 from one ` +
          `${c.from === raw ? 'uncompressed' : 'G4'} TIFF to ${c.ours}; ours in process, page by page ` +
          `as tiffcp (read the page from the file, decode, encode, write; warm JIT) vs the whole ` +
          `\`tiffcp -c ${c.tiffcp}\` process (start, same conversion, exit); ` +
          `ours/anchor = wall clock, *_cpu = user+system CPU time (less sensitive to a busy machine)`,
        ours_cpu: Math.round(pagesPerSecond(oursCpu) * 10) / 10,
        anchor_cpu: Math.round(pagesPerSecond(anchorCpu) * 10) / 10,
        cpu_ratio: Math.round((anchorCpu / oursCpu) * 1000) / 1000,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export { runBench as run };
