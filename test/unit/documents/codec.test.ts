// The codec on synthetic pages: every scheme and option round-trips exactly, the options do what
// they promise, and corrupt, truncated and bomb inputs end in counted bad lines or a typed error
// within a bounded time.
import { describe, expect, it } from 'vitest';
import { bitmapsEqual, createBitmap, type Bitmap } from '../../../src/documents/page.ts';
import { decodePage } from '../../../src/documents/codec/decode.ts';
import { encodePage, type EncodeOptions } from '../../../src/documents/codec/encode.ts';
import { type CodingScheme } from '../../../src/documents/codec/options.ts';
import { DecodeTimeoutError, ImageLimitError } from '../../../src/documents/image-errors.ts';
import { seededRandom, syntheticPage } from './synthetic.ts';

const SCHEMES: CodingScheme[] = ['mh', 'mr', 'mmr', 'rle'];

function flipBits(data: Uint8Array, flips: number, seed: number): Uint8Array {
  const copy = data.slice();
  const random = seededRandom(seed);
  for (let i = 0; i < flips; i++) {
    const bit = Math.floor(random() * copy.length * 8);
    copy[bit >> 3]! ^= 0x80 >> (bit & 7);
  }
  return copy;
}

describe('round trips', () => {
  const widths = [1728, 2048, 2432];
  const cases = SCHEMES.flatMap((scheme) => widths.map((width) => ({ scheme, width })));
  it.each(cases)('$scheme at width $width decodes to the encoded pixels', ({ scheme, width }) => {
    const page = syntheticPage(width, 400, width);
    for (const fillOrder of [1, 2] as const) {
      const data = encodePage(page, { scheme, fillOrder });
      const result = decodePage(data, { scheme, width, height: page.height, fillOrder });
      expect(bitmapsEqual(result.bitmap, page)).toBe(true);
      expect(result.badLines).toBe(0);
      expect(result.problem).toBeUndefined();
    }
  });

  it('any width with allowAnyWidth, including runs longer than 2560 and odd widths', () => {
    for (const width of [1, 13, 1700, 6000]) {
      const page = syntheticPage(width, 60, width);
      for (const scheme of SCHEMES) {
        const data = encodePage(page, { scheme });
        const result = decodePage(data, { scheme, width, height: 60, allowAnyWidth: true });
        expect(bitmapsEqual(result.bitmap, page), `${scheme} ${width}`).toBe(true);
      }
    }
  });

  it('all white and all black pages', () => {
    const white = createBitmap(1728, 50);
    const black = createBitmap(1728, 50);
    black.data.fill(0xff);
    for (const scheme of SCHEMES) {
      for (const page of [white, black]) {
        const result = decodePage(encodePage(page, { scheme }), { scheme, width: 1728, height: 50 });
        expect(bitmapsEqual(result.bitmap, page)).toBe(true);
      }
    }
  });

  it('MR with any K, with and without choosing the shorter coding per line', () => {
    const page = syntheticPage(1728, 300, 7);
    for (const k of [1, 2, 4, 1000]) {
      const plain = encodePage(page, { scheme: 'mr', k, chooseShorter: false });
      const shorter = encodePage(page, { scheme: 'mr', k, chooseShorter: true });
      expect(shorter.length).toBeLessThanOrEqual(plain.length);
      for (const data of [plain, shorter]) {
        const result = decodePage(data, { scheme: 'mr', width: 1728, height: 300 });
        expect(bitmapsEqual(result.bitmap, page)).toBe(true);
      }
    }
    // K = 1 means every line one-dimensional: MR then costs exactly MH plus one tag bit per line.
    const mh = encodePage(page, { scheme: 'mh' });
    const mrK1 = encodePage(page, { scheme: 'mr', k: 1 });
    expect(Math.abs(mrK1.length - (mh.length + 300 / 8))).toBeLessThanOrEqual(1);
  });

  it('byte-aligned EOLs end every EOL on a byte boundary', () => {
    const page = syntheticPage(1728, 100, 3);
    for (const scheme of ['mh', 'mr'] as const) {
      const data = encodePage(page, { scheme, byteAlignEol: true });
      // Each EOL (eleven zeros and a one) ends a byte: the byte holding its one bit is 0x01.
      let eols = 0;
      for (let i = 1; i < data.length; i++) if (data[i] === 0x01 && (data[i - 1]! & 0x0f) === 0) eols++;
      expect(eols).toBeGreaterThanOrEqual(100);
      const result = decodePage(data, { scheme, width: 1728, height: 100 });
      expect(bitmapsEqual(result.bitmap, page)).toBe(true);
    }
  });

  it('minimum scan-line bits pad short lines and still decode', () => {
    const page = createBitmap(1728, 100); // white lines: 12 + 18 bits each without padding
    const options: EncodeOptions = { scheme: 'mh', minRowBits: 400 };
    const data = encodePage(page, options);
    expect(data.length * 8).toBeGreaterThanOrEqual(100 * 400);
    expect(encodePage(page, { scheme: 'mh' }).length * 8).toBeLessThan(100 * 40);
    expect(bitmapsEqual(decodePage(data, { scheme: 'mh', width: 1728, height: 100 }).bitmap, page)).toBe(
      true,
    );
  });

  it('without a known height, T.4 stops at RTC and T.6 at EOFB', () => {
    const page = syntheticPage(1728, 123, 5);
    const trailer = Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0x12, 0x34]);
    for (const scheme of ['mh', 'mr', 'mmr'] as const) {
      const coded = encodePage(page, { scheme, rtc: true });
      const data = new Uint8Array(coded.length + trailer.length);
      data.set(coded);
      data.set(trailer, coded.length);
      const result = decodePage(data, { scheme, width: 1728 });
      expect(result.bitmap.height).toBe(123);
      expect(bitmapsEqual(result.bitmap, page)).toBe(true);
    }
  });
});

describe('corrupt and hostile input', () => {
  const page = syntheticPage(1728, 2200, 11);

  it.each(['mh', 'mr'] as const)(
    '%s: 50 flipped bits give counted bad lines replaced by the previous line, quickly',
    (scheme) => {
      const data = flipBits(encodePage(page, { scheme }), 50, 99);
      const started = performance.now();
      const result = decodePage(data, { scheme, width: 1728, height: 2200 });
      expect(performance.now() - started).toBeLessThan(1000);
      expect(result.badLines).toBeGreaterThan(0);
      expect(result.badLines).toBeLessThan(500);
      expect(result.consecutiveBadLines).toBeGreaterThan(0);
      expect(result.consecutiveBadLines).toBeLessThanOrEqual(result.badLines);
      // Every row shown is a real row of the page (a good one or its repeat), except where a flip
      // turned a line into another valid line of the right width: at most one per flip. (A flip
      // inside an EOL merges two lines, so rows may shift; comparing row by row would mislead.)
      expect(rowsNotInPage(result.bitmap, page)).toBeLessThanOrEqual(50);
    },
  );

  it('mmr: a corrupt line stops the page and reports the missing rows', () => {
    const data = flipBits(encodePage(page, { scheme: 'mmr' }), 50, 99);
    const started = performance.now();
    const result = decodePage(data, { scheme: 'mmr', width: 1728, height: 2200 });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result.problem).toMatch(/MMR data corrupt at row \d+/);
    expect(result.missingRows).toBeGreaterThan(0);
    expect(result.badLines).toBeGreaterThanOrEqual(result.missingRows);
  });

  it.each(SCHEMES)('%s: truncated data decodes the rows that are there', (scheme) => {
    const data = encodePage(page, { scheme });
    const result = decodePage(data.subarray(0, data.length >> 1), { scheme, width: 1728, height: 2200 });
    expect(result.missingRows).toBeGreaterThan(100);
    expect(result.problem).toBeDefined();
    const topRows = (2200 - result.missingRows - 5) * page.rowBytes;
    expect(
      bitmapsEqual(
        { ...page, height: 1, data: page.data.subarray(0, topRows) },
        {
          ...page,
          height: 1,
          data: result.bitmap.data.subarray(0, topRows),
        },
      ),
    ).toBe(true);
  });

  it('refuses widths that are not fax widths and heights over the limit before decoding', () => {
    expect(() => decodePage(new Uint8Array(10), { scheme: 'mh', width: 1700 })).toThrow(ImageLimitError);
    expect(() => decodePage(new Uint8Array(10), { scheme: 'mh', width: 60000, allowAnyWidth: true })).toThrow(
      /exceeds the limit/,
    );
    expect(() => decodePage(new Uint8Array(10), { scheme: 'mmr', width: 1728, height: 60000 })).toThrow(
      /page height 60000 exceeds the limit of 8000 rows/,
    );
    expect(() =>
      decodePage(new Uint8Array(2000), { scheme: 'mmr', width: 1728, limits: { maxInputBytes: 1000 } }),
    ).toThrow(/2000 bytes exceeds the limit of 1000/);
  });

  it('a tiny stream claiming a huge page costs no more than the page limit allows', () => {
    const result = decodePage(new Uint8Array(16), { scheme: 'mmr', width: 1728, height: 8000 });
    expect(result.bitmap.height).toBe(8000);
    expect(result.missingRows).toBeGreaterThan(7990);
  });

  it('endless data without RTC is refused at the height limit (decompression bomb)', () => {
    const white = encodePage(createBitmap(1728, 9000), { scheme: 'mh' }); // 9000 valid lines, 34 KB
    expect(() => decodePage(white, { scheme: 'mh', width: 1728 })).toThrow(
      /longer than the limit of 8000 rows/,
    );
    // 2 MB of one bits. T.6: each bit is a V0 code completing a white line. T.4 without EOLs:
    // white 7 ('1111') and black 2 ('11') alternate into valid 1728-pixel lines. Both are endless.
    const ones = new Uint8Array(2 << 20).fill(0xff);
    const started = performance.now();
    for (const scheme of ['mh', 'mr', 'mmr'] as const) {
      expect(() => decodePage(ones, { scheme, width: 1728 })).toThrow(/longer than the limit of 8000 rows/);
    }
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('the time budget is enforced with a typed error', () => {
    let clock = 0;
    const now = (): number => (clock += 100);
    const data = encodePage(page, { scheme: 'mmr' });
    expect(() =>
      decodePage(data, { scheme: 'mmr', width: 1728, height: 2200, now, limits: { maxDecodeMs: 1000 } }),
    ).toThrow(DecodeTimeoutError);
  });

  it('random garbage in every scheme ends in a result or a typed error, within a bounded time', () => {
    const random = seededRandom(42);
    const started = performance.now();
    for (let round = 0; round < 40; round++) {
      const garbage = Uint8Array.from({ length: 4000 + Math.floor(random() * 40000) }, () =>
        Math.floor(random() * 256),
      );
      for (const scheme of SCHEMES) {
        try {
          const result = decodePage(garbage, { scheme, width: 1728, height: 1000 });
          expect(result.bitmap.data.length).toBe(216 * 1000);
        } catch (error) {
          expect(error).toBeInstanceOf(ImageLimitError);
        }
      }
    }
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

function rowsNotInPage(decoded: Bitmap, page: Bitmap): number {
  const rowsOf = (bitmap: Bitmap): string[] =>
    Array.from({ length: bitmap.height }, (_, y) =>
      Buffer.from(bitmap.data.subarray(y * bitmap.rowBytes, (y + 1) * bitmap.rowBytes)).toString('latin1'),
    );
  const real = new Set(rowsOf(page));
  return rowsOf(decoded).filter((row) => !real.has(row)).length;
}
