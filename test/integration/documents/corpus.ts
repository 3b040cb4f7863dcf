// Builds a small fax corpus with real tools in a temp dir: ghostscript renders a PostScript file we
// write (text, thin and thick lines, solid areas, a page edge to edge), libtiff converts it.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeTempDir } from '../../helpers/index.ts';
import { readTiffImages, type TiffImage } from '../../../src/documents/tiff/reader.ts';

const POSTSCRIPT = `%!PS
/Times-Roman findfont 10 scalefont setfont
1 1 2 {
  /p exch def
  72 760 moveto (Page ) show p 3 string cvs show
  0 1 50 { /i exch def 40 740 i 13 mul sub moveto
    (Fax quality check: the quick brown fox jumps over the lazy dog 0123456789, line ) show
    i 3 string cvs show } for
  newpath 430 110 70 0 360 arc 5 setlinewidth stroke
  0 1 30 { /i exch def newpath 40 i 4 mul add 40 moveto 260 i 6 mul add 170 lineto 0.4 setlinewidth stroke } for
  0 0 moveto 612 0 lineto 612 12 lineto 0 12 lineto closepath fill
  300 60 moveto 400 60 lineto 350 140 lineto closepath fill
  showpage
} for
`;

export interface Corpus {
  readonly dir: string;
  file(name: string): string;
}

export interface ToolResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a real tool; fails the test with its stderr when it exits non-zero. */
export function tool(command: string, args: readonly string[]): ToolResult {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  }
  return { stdout: result.stdout, stderr: result.stderr };
}

export function makeCorpus(): Corpus {
  const dir = makeTempDir('faxswitch-corpus-');
  const file = (name: string): string => path.join(dir, name);
  writeFileSync(file('text.ps'), POSTSCRIPT);
  const gs = (device: string, resolution: string, size: string, out: string): void => {
    tool('gs', [
      '-q',
      '-dNOPAUSE',
      '-dBATCH',
      '-dSAFER',
      `-sDEVICE=${device}`,
      `-r${resolution}`,
      `-g${size}`,
      `-sOutputFile=${file(out)}`,
      file('text.ps'),
    ]);
  };
  for (const device of ['tiffg4', 'tiffg3', 'tiffg32d', 'tiffcrle']) {
    gs(device, '204x196', '1728x2200', `gs-${device}-fine.tif`);
    gs(device, '204x98', '1728x1100', `gs-${device}-standard.tif`);
  }
  gs('tiffg4', '240x196', '2048x2200', 'gs-tiffg4-b4.tif');
  return { dir, file };
}

/** libtiff's own decode of a file: `tiffcp -c none`, read back as uncompressed strips. */
export function libtiffDecode(corpus: Corpus, name: string): TiffImage[] {
  const raw = corpus.file(`${name}.libtiff-raw.tif`);
  tool('tiffcp', ['-c', 'none', corpus.file(name), raw]);
  return readTiffImages(readFileSync(raw), { allowAnyWidth: true });
}
