// TIFF Class F reader and writer on files we build and then damage on purpose: every refusal is a
// typed error naming the page, and nothing hostile takes unbounded time or memory.
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bitmapsEqual, createBitmap, type FaxPage } from '../../../src/documents/page.ts';
import { readTiff, readTiffImages } from '../../../src/documents/tiff/reader.ts';
import { writeTiff, type TiffCompression } from '../../../src/documents/tiff/writer.ts';
import { transcodeTiff } from '../../../src/documents/tiff/transcode.ts';
import { TAG } from '../../../src/documents/tiff/tags.ts';
import { TerminalError } from '../../../cluster/index.ts';
import {
  DecodeTimeoutError,
  ImageLimitError,
  InvalidImageError,
  UnsupportedImageError,
} from '../../../src/documents/image-errors.ts';
import { seededRandom, syntheticPage } from './synthetic.ts';

const pages: FaxPage[] = [
  syntheticPage(1728, 500, 1),
  { ...syntheticPage(1728, 300, 2), resolution: 'standard' },
  { ...syntheticPage(2048, 200, 3), resolution: 'superfine' },
];

/** Offsets of the IFDs of a little-endian TIFF we wrote. */
function ifdOffsets(file: Uint8Array): number[] {
  const view = new DataView(file.buffer, file.byteOffset);
  const offsets: number[] = [];
  for (let offset = view.getUint32(4, true); offset !== 0;) {
    offsets.push(offset);
    offset = view.getUint32(offset + 2 + view.getUint16(offset, true) * 12, true);
  }
  return offsets;
}

/** Byte offset of a tag's 12-byte entry in IFD `page` (0-based). */
function entryOffset(file: Uint8Array, page: number, tag: number): number {
  const view = new DataView(file.buffer, file.byteOffset);
  const ifd = ifdOffsets(file)[page]!;
  for (let i = 0; i < view.getUint16(ifd, true); i++) {
    if (view.getUint16(ifd + 2 + i * 12, true) === tag) return ifd + 2 + i * 12;
  }
  throw new Error(`tag ${tag} not in IFD ${page}`);
}

function patchValue(file: Uint8Array, page: number, tag: number, value: number): Uint8Array {
  const copy = file.slice();
  const at = entryOffset(copy, page, tag);
  const view = new DataView(copy.buffer);
  if (view.getUint16(at + 2, true) === 3) view.setUint16(at + 8, value, true);
  else view.setUint32(at + 8, value, true);
  return copy;
}

describe('writing and reading back', () => {
  it.each(['g3', 'g3-2d', 'g4', 'rle', 'none'] as TiffCompression[])(
    '%s keeps pages, sizes and resolutions',
    (compression) => {
      for (const fillOrder of [1, 2] as const) {
        for (const rowsPerStrip of [undefined, 1, 64]) {
          const file = writeTiff(pages, { compression, fillOrder, rowsPerStrip });
          const read = readTiff(file);
          expect(read.map((p) => [p.width, p.height, p.resolution])).toEqual(
            pages.map((p) => [p.width, p.height, p.resolution]),
          );
          read.forEach((page, i) => expect(bitmapsEqual(page, pages[i]!)).toBe(true));
        }
      }
    },
  );

  it('writes the fax quality tags and reads them as what the decoder found', () => {
    const file = writeTiff(
      [{ ...pages[0]!, quality: { badLines: 7, consecutiveBadLines: 3, problem: 'x' } }],
      {
        compression: 'g3',
      },
    );
    const view = new DataView(file.buffer);
    expect(view.getUint32(entryOffset(file, 0, TAG.BadFaxLines) + 8, true)).toBe(7);
    expect(view.getUint16(entryOffset(file, 0, TAG.CleanFaxData) + 8, true)).toBe(1);
    expect(view.getUint32(entryOffset(file, 0, TAG.ConsecutiveBadFaxLines) + 8, true)).toBe(3);
    expect(readTiff(file)[0]!.quality).toEqual({ badLines: 0, consecutiveBadLines: 0, problem: undefined });
  });

  it('inverts BlackIsZero pages into our 1 = black convention', () => {
    const file = patchValue(writeTiff([pages[0]!], { compression: 'none' }), 0, TAG.Photometric, 1);
    const [page] = readTiff(file);
    expect(page!.data[0]).toBe(~pages[0]!.data[0]! & 0xff);
  });

  it('reads uncompressed rows stored as a Bitmap holds them without a copy, and copies the others', () => {
    const stored = writeTiff(pages, { compression: 'none', rowsPerStrip: 64 });
    for (const page of readTiff(stored)) expect(page.data.buffer).toBe(stored.buffer);
    const reversed = writeTiff(pages, { compression: 'none', fillOrder: 2 });
    for (const page of readTiff(reversed)) expect(page.data.buffer).not.toBe(reversed.buffer);
  });

  it('reads foreign widths only when asked, and never as fax pages', () => {
    const odd = { ...syntheticPage(1700, 50, 4), resolution: 'fine' as const };
    const file = writeTiff([odd]);
    expect(() => readTiff(file)).toThrow(
      new ImageLimitError('page 1: page width 1700 is not a fax width (1728, 2048, 2432)'),
    );
    const [image] = readTiffImages(file, { allowAnyWidth: true });
    expect(image!.bitmap.width).toBe(1700);
    expect(bitmapsEqual(image!.bitmap, odd)).toBe(true);
    expect([image!.xDpi, image!.yDpi]).toEqual([204, 196]);
  });
});

describe('converting page by page', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faxswitch-tiff-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The parts handed out, copied as they come (the writer reuses its buffers). */
  function transcoded(file: Uint8Array | number, options: Parameters<typeof transcodeTiff>[2]): Uint8Array {
    const parts: Uint8Array[] = [];
    transcodeTiff(file, (part) => parts.push(part.slice()), options);
    return new Uint8Array(Buffer.concat(parts));
  }

  /** Runs `use` with `bytes` written to a file and opened for reading. */
  function withFile<T>(bytes: Uint8Array, use: (fd: number) => T): T {
    const name = path.join(dir, 'in.tif');
    writeFileSync(name, bytes);
    const fd = openSync(name, 'r');
    try {
      return use(fd);
    } finally {
      closeSync(fd);
    }
  }

  it.each(['g3', 'g3-2d', 'g4', 'rle', 'none'] as TiffCompression[])(
    'to %s writes the very file that reading it whole and writing it would',
    (compression) => {
      for (const from of ['g4', 'g3', 'none'] as TiffCompression[]) {
        const file = writeTiff(pages, { compression: from, rowsPerStrip: 64 });
        for (const fillOrder of [1, 2] as const) {
          const options = { compression, fillOrder, rowsPerStrip: 100 };
          const expected = writeTiff(readTiff(file), options);
          expect(transcoded(file, options)).toEqual(expected);
          expect(withFile(file, (fd) => transcoded(fd, options))).toEqual(expected);
        }
      }
    },
  );

  it('checks every header and limit as readTiff does, before writing anything', () => {
    const wrote: Uint8Array[] = [];
    const tall = patchValue(writeTiff(pages), 2, TAG.ImageLength, 60000);
    const circular = writeTiff(pages);
    const ifds = ifdOffsets(circular);
    const view = new DataView(circular.buffer);
    view.setUint32(ifds[2]! + 2 + view.getUint16(ifds[2]!, true) * 12, ifds[0]!, true);
    for (const source of ['bytes', 'file'] as const) {
      const convert = (file: Uint8Array, options = {}): void => {
        const run = (input: Uint8Array | number): void =>
          transcodeTiff(input, (part) => wrote.push(part), options);
        if (source === 'bytes') run(file);
        else withFile(file, run);
      };
      expect(() => convert(tall)).toThrow(
        new ImageLimitError('page 3: page height 60000 exceeds the limit of 8000 rows'),
      );
      expect(() => convert(writeTiff(pages), { maxPages: 2 })).toThrow(ImageLimitError);
      expect(() => convert(circular)).toThrow(new InvalidImageError('page 4: circular IFD chain'));
      expect(() => convert(writeTiff(pages).subarray(0, 5))).toThrow(InvalidImageError);
    }
    expect(wrote).toEqual([]);
  });
});

describe('hostile files', () => {
  const good = writeTiff(pages, { compression: 'g4' });

  it('a circular IFD chain', () => {
    const copy = good.slice();
    const offsets = ifdOffsets(copy);
    const last = offsets[2]!;
    const view = new DataView(copy.buffer);
    view.setUint32(last + 2 + view.getUint16(last, true) * 12, offsets[0]!, true);
    expect(() => readTiff(copy)).toThrow(new InvalidImageError('page 4: circular IFD chain'));
  });

  it('a 60000 × 60000 header is refused without allocating', () => {
    const wide = patchValue(patchValue(good, 0, TAG.ImageWidth, 60000), 0, TAG.ImageLength, 60000);
    const started = performance.now();
    expect(() => readTiff(wide)).toThrow(/^page 1: page width 60000 is not a fax width/);
    expect(() => readTiffImages(wide, { allowAnyWidth: true })).toThrow(
      new ImageLimitError('page 1: page width 60000 exceeds the limit of 10000 pixels'),
    );
    const tall = patchValue(good, 1, TAG.ImageLength, 60000);
    expect(() => readTiff(tall)).toThrow(
      new ImageLimitError('page 2: page height 60000 exceeds the limit of 8000 rows'),
    );
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('too many pages', () => {
    const many = writeTiff(
      Array.from({ length: 351 }, () => ({ ...createBitmap(1728, 1), resolution: 'fine' as const })),
    );
    expect(() => readTiff(many)).toThrow(new ImageLimitError('TIFF has more than 350 pages'));
    expect(readTiff(many, { maxPages: 351 })).toHaveLength(351);
    expect(() => readTiff(good, { maxPages: 2 })).toThrow(ImageLimitError);
  });

  it('offsets and counts beyond the end of the file', () => {
    const farStrip = patchValue(good, 2, TAG.StripOffsets, good.length + 10);
    expect(() => readTiff(farStrip)).toThrow(
      new InvalidImageError('page 3: strip offset beyond end of file'),
    );
    const hugeCount = patchValue(good, 0, TAG.StripByteCounts, 0xffff_fff0);
    const [first] = readTiff(hugeCount); // clamped to the file: the strip's own data is all there
    expect(bitmapsEqual(first!, pages[0]!)).toBe(true);
    const copy = good.slice();
    new DataView(copy.buffer).setUint32(4, good.length + 100, true);
    expect(() => readTiff(copy)).toThrow(new InvalidImageError('page 1: IFD offset beyond end of file'));
  });

  it('unsupported and foreign content gets a readable refusal', () => {
    expect(() => readTiff(patchValue(good, 0, TAG.Compression, 5))).toThrow(
      new UnsupportedImageError('page 1: compression 5 is not a fax compression'),
    );
    expect(() => readTiff(patchValue(good, 1, TAG.BitsPerSample, 8))).toThrow(UnsupportedImageError);
    expect(() => readTiff(Uint8Array.from([0x49, 0x49, 43, 0, 8, 0, 0, 0]))).toThrow(/BigTIFF/);
    expect(() => readTiff(new TextEncoder().encode('%PDF-1.7 not a tiff'))).toThrow(InvalidImageError);
    expect(() => readTiff(good, { maxFileBytes: 1000 })).toThrow(/exceeds the limit of 1000/);
  });

  it('a document whose pages would decode to more than 256 MiB is refused before decoding', () => {
    // 120 tall B4-wide white pages: 60 KB of G4, but 292 MB of bitmaps (a memory bomb).
    const tall = { ...createBitmap(2432, 8000), resolution: 'fine' as const };
    const bomb = writeTiff(Array.from({ length: 120 }, () => tall));
    expect(bomb.length).toBeLessThan(200_000);
    const started = performance.now();
    expect(() => readTiff(bomb)).toThrow(
      new ImageLimitError('the pages would decode to 278 MiB, more than the limit of 256 MiB'),
    );
    expect(performance.now() - started).toBeLessThan(100);
    expect(readTiff(bomb, { documentLimits: { maxDecodedBytes: 300 * 1024 * 1024 } })).toHaveLength(120);
  });

  it('the whole document shares one time budget', () => {
    let clock = 0;
    const now = (): number => (clock += 10);
    expect(() => readTiff(good, { now, documentLimits: { maxTotalDecodeMs: 200 } })).toThrow(
      /^page [23]: decoding took longer than/,
    );
  });

  it('a page that decodes too slowly is stopped with DecodeTimeoutError', () => {
    let clock = 0;
    const now = (): number => (clock += 50);
    expect(() => readTiff(good, { now, limits: { maxDecodeMs: 500 } })).toThrow(DecodeTimeoutError);
  });

  it('every truncation gives pages with missing rows or a typed error', () => {
    const g3 = writeTiff(pages, { compression: 'g3' });
    const started = performance.now();
    for (let length = 0; length < g3.length; length += 997) {
      try {
        const read = readTiff(g3.subarray(0, length));
        expect(read.length).toBeGreaterThan(0);
      } catch (error) {
        expect(error).toBeInstanceOf(TerminalError);
      }
    }
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('random bit flips anywhere in the file give pages or a typed error, quickly', () => {
    const random = seededRandom(7);
    const started = performance.now();
    for (const compression of ['g3', 'g3-2d', 'g4'] as const) {
      const file = writeTiff(pages, { compression });
      for (let round = 0; round < 30; round++) {
        const copy = file.slice();
        for (let i = 0; i < 50; i++) {
          const bit = Math.floor(random() * copy.length * 8);
          copy[bit >> 3]! ^= 0x80 >> (bit & 7);
        }
        try {
          readTiff(copy);
        } catch (error) {
          expect(error).toBeInstanceOf(TerminalError);
        }
      }
    }
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
