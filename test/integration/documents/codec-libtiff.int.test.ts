// Our codec and TIFF reader/writer against libtiff and ghostscript on a corpus they generate:
// every tool-made file decodes pixel-exactly like libtiff's own decode, and every file we write
// passes `tiffinfo -D` silently and reads back through `tiffcp` to the same pixels.
import { readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bitmapsEqual, type Bitmap } from '../../../src/documents/page.ts';
import { readTiff, readTiffImages } from '../../../src/documents/tiff/reader.ts';
import { writeTiff, type TiffCompression } from '../../../src/documents/tiff/writer.ts';
import { transcodeTiff } from '../../../src/documents/tiff/transcode.ts';
import { encodePage } from '../../../src/documents/codec/encode.ts';
import { libtiffDecode, makeCorpus, tool, type Corpus } from './corpus.ts';
import { TerminalError } from '../../../cluster/index.ts';

let corpus: Corpus;
beforeAll(() => {
  corpus = makeCorpus();
});

function blackPixels(bitmap: Bitmap): number {
  let count = 0;
  for (const byte of bitmap.data) for (let b = byte; b !== 0; b &= b - 1) count++;
  return count;
}

function expectSamePages(
  ours: readonly { bitmap: Bitmap }[],
  reference: readonly { bitmap: Bitmap }[],
): void {
  expect(ours.length).toBe(reference.length);
  ours.forEach((page, i) => {
    const other = reference[i]!.bitmap;
    expect([page.bitmap.width, page.bitmap.height]).toEqual([other.width, other.height]);
    expect(bitmapsEqual(page.bitmap, other), `page ${i + 1} differs from libtiff`).toBe(true);
  });
}

describe('decoding files made by ghostscript and libtiff', () => {
  const ghostscript = ['tiffg4', 'tiffg3', 'tiffg32d', 'tiffcrle'].flatMap((device) => [
    `gs-${device}-fine.tif`,
    `gs-${device}-standard.tif`,
  ]);
  it.each([...ghostscript, 'gs-tiffg4-b4.tif'])('%s decodes exactly as libtiff does', (name) => {
    const ours = readTiffImages(readFileSync(corpus.file(name)));
    expectSamePages(ours, libtiffDecode(corpus, name));
    expect(ours).toHaveLength(2);
    for (const page of ours) {
      expect(page.quality.badLines).toBe(0);
      expect(blackPixels(page.bitmap)).toBeGreaterThan(50_000); // real content, not a blank page
    }
  });

  const conversions = ['g3', 'g3:2d', 'g3:fill', 'g3:2d:fill', 'g4', 'none'].flatMap((compression) =>
    ['msb2lsb', 'lsb2msb'].flatMap((fill) => [
      { compression, fill, rows: '0' },
      { compression, fill, rows: '37' },
    ]),
  );
  it.each(conversions)('tiffcp -c $compression -f $fill -r $rows decodes exactly as libtiff does', (c) => {
    const name = `tiffcp-${c.compression}-${c.fill}-${c.rows}.tif`;
    const args = ['-c', c.compression, '-f', c.fill, ...(c.rows === '0' ? [] : ['-r', c.rows])];
    tool('tiffcp', [...args, corpus.file('gs-tiffg4-fine.tif'), corpus.file(name)]);
    const ours = readTiffImages(readFileSync(corpus.file(name)));
    expectSamePages(ours, libtiffDecode(corpus, name));
    expectSamePages(ours, readTiffImages(readFileSync(corpus.file('gs-tiffg4-fine.tif'))));
  });
});

describe('raw fax data through fax2tiff', () => {
  const cases = [
    { scheme: 'mh', fillOrder: 2, flags: ['-1', '-L'] },
    { scheme: 'mh', fillOrder: 1, flags: ['-1', '-M'] },
    { scheme: 'mr', fillOrder: 2, flags: ['-2', '-L'] },
    { scheme: 'mr', fillOrder: 1, flags: ['-2', '-M'], align: true },
  ] as const;
  it.each(cases)('our raw $scheme (fill order $fillOrder) converted by fax2tiff $flags reads back', (c) => {
    const [source] = readTiff(readFileSync(corpus.file('gs-tiffg4-fine.tif')));
    const raw = encodePage(source!, {
      scheme: c.scheme,
      fillOrder: c.fillOrder,
      rtc: false, // fax2tiff turns the EOLs of an RTC into extra blank rows; raw data ends at EOF
      k: 4,
      byteAlignEol: 'align' in c,
    });
    const name = `raw-${c.scheme}-${c.fillOrder}`;
    writeFileSync(corpus.file(`${name}.g3`), raw);
    const flags = 'align' in c ? [...c.flags, '-A'] : c.flags;
    tool('fax2tiff', [...flags, '-o', corpus.file(`${name}.tif`), corpus.file(`${name}.g3`)]);
    const [page] = readTiff(readFileSync(corpus.file(`${name}.tif`)));
    expect(page!.height).toBe(source!.height);
    expect(bitmapsEqual(page!, source!)).toBe(true);
    expect(page!.quality.badLines).toBe(0);
  });
});

describe('files we write, checked by libtiff', () => {
  const variants = (['g3', 'g3-2d', 'g4', 'rle', 'none'] as TiffCompression[]).flatMap((compression) =>
    ([1, 2] as const).flatMap((fillOrder) => [
      { compression, fillOrder, rowsPerStrip: undefined },
      { compression, fillOrder, rowsPerStrip: 100 },
    ]),
  );
  it.each(variants)('$compression, fill order $fillOrder, $rowsPerStrip rows per strip', (v) => {
    for (const source of ['gs-tiffg4-fine.tif', 'gs-tiffg4-standard.tif', 'gs-tiffg4-b4.tif']) {
      const pages = readTiff(readFileSync(corpus.file(source)));
      const name = `ours-${v.compression}-${v.fillOrder}-${v.rowsPerStrip ?? 0}-${source}`;
      writeFileSync(
        corpus.file(name),
        writeTiff(pages, {
          ...v,
          software: 'faxswitch test',
          dateTime: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
        }),
      );
      const info = tool('tiffinfo', ['-D', corpus.file(name)]);
      expect(info.stderr).toBe('');
      expect(info.stdout).not.toMatch(/error|warning/i);
      expect(info.stdout).toContain('DateTime: 2026:01:02 03:04:05');
      expectSamePages(
        libtiffDecode(corpus, name),
        pages.map((bitmap) => ({ bitmap })),
      );
    }
  });
});

describe('files we convert page by page, checked by libtiff', () => {
  it.each(['g3', 'g3-2d', 'g4', 'rle', 'none'] as TiffCompression[])(
    'ghostscript G4 to %s',
    (compression) => {
      const source = 'gs-tiffg4-fine.tif';
      const name = `transcoded-${compression}.tif`;
      const parts: Uint8Array[] = [];
      transcodeTiff(readFileSync(corpus.file(source)), (part) => parts.push(part.slice()), { compression });
      writeFileSync(corpus.file(name), Buffer.concat(parts));
      const info = tool('tiffinfo', ['-D', corpus.file(name)]);
      expect(info.stderr).toBe('');
      expect(info.stdout).not.toMatch(/error|warning/i);
      expectSamePages(libtiffDecode(corpus, name), libtiffDecode(corpus, source));
    },
  );
});

describe('damaged real pages', () => {
  it.each(['gs-tiffg3-fine.tif', 'gs-tiffg32d-fine.tif', 'gs-tiffg4-fine.tif'])(
    '%s with 50 flipped bits per try: bad lines or a typed error, never a hang',
    (name) => {
      const file = readFileSync(corpus.file(name));
      let seed = 12345;
      const random = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 0x1_0000_0000;
      for (let attempt = 0; attempt < 10; attempt++) {
        const copy = new Uint8Array(file);
        for (let i = 0; i < 50; i++) {
          const bit = 64 + Math.floor(random() * (copy.length * 8 - 64)); // keep the 8-byte header
          copy[bit >> 3]! ^= 0x80 >> (bit & 7);
        }
        const started = performance.now();
        try {
          const pages = readTiff(copy);
          expect(pages.some((page) => page.quality.badLines > 0 || page.quality.problem !== undefined)).toBe(
            true,
          );
        } catch (error) {
          expect(error).toBeInstanceOf(TerminalError);
        }
        expect(performance.now() - started).toBeLessThan(2000);
      }
    },
  );
});
