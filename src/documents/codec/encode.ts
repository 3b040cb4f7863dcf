// Encodes a Bitmap as T.4 MH/MR, T.6 MMR or TIFF CCITT RLE. Each row is turned into its changing
// elements once; MR and MMR code against the previous row's elements, which are kept and swapped,
// never recomputed. The stream layout is libtiff's (EOL before every T.4 line, optional
// byte-aligned EOLs, optional RTC; EOFB after MMR); libtiff reads it back pixel for pixel.
import { type Bitmap } from '../page.ts';
import { BitWriter, runBits } from './bit-writer.ts';
import { changesCapacity, findB1, rowToChanges, SENTINELS, wordView } from './lines.ts';
import { type CodingScheme, type FillOrder } from './options.ts';
import {
  BIT_REVERSE,
  BLACK_RUN_CODES,
  EOL_BITS,
  EOL_CODE,
  HORIZONTAL_BITS,
  HORIZONTAL_CODE,
  PASS_BITS,
  PASS_CODE,
  LONG_RUN,
  VERTICAL_BITS,
  VERTICAL_CODE,
  WHITE_RUN_CODES,
} from './tables.ts';

export interface EncodeOptions {
  readonly scheme: CodingScheme;
  /** MR: a one-dimensional line at least every `k` lines (T.4 "K"); default 4 (2 suits 98 dpi). */
  readonly k?: number;
  /** MR: also use a one-dimensional line inside the K group where it is shorter. Default true. */
  readonly chooseShorter?: boolean;
  /** T.4: fill bits so every EOL ends on a byte boundary (TIFF T4Options bit 2). Default false. */
  readonly byteAlignEol?: boolean;
  /** T.4: minimum bits per coded line, EOL included (receiver's minimum scan-line time). */
  readonly minRowBits?: number;
  /** T.4: append RTC (six EOLs). TIFF Class F leaves it out; a raw fax stream has it. Default false. */
  readonly rtc?: boolean;
  /** T.6: append EOFB. Default true, as libtiff does. */
  readonly eofb?: boolean;
  readonly fillOrder?: FillOrder;
}

export function encodePage(bitmap: Bitmap, options: EncodeOptions): Uint8Array {
  const { width, height, rowBytes, data } = bitmap;
  const words = wordView(data);
  const writer = new BitWriter(Math.ceil((rowBytes * height) / 6) + 64);
  let current = new Int32Array(changesCapacity(width));
  let reference = new Int32Array(changesCapacity(width));
  reference.fill(width, 0, SENTINELS);
  const lineReserve = Math.ceil(width * 1.5) + 16 + Math.ceil((options.minRowBits ?? 0) / 8);
  const scheme = options.scheme;
  const k = Math.max(1, options.k ?? 4);
  const chooseShorter = options.chooseShorter ?? true;
  const alignEol = options.byteAlignEol ?? false;
  const minRowBits = options.minRowBits ?? 0;
  let twoDimensionalLeft = 0;

  for (let row = 0; row < height; row++) {
    writer.reserve(lineReserve);
    const count = rowToChanges(data, words, row * rowBytes, width, current);
    if (scheme === 'mmr') {
      encode2D(writer, current, reference, width);
    } else if (scheme === 'rle') {
      encode1D(writer, current, count, width);
      writer.padToByte();
    } else {
      const lineStart = writer.bitLength;
      if (alignEol) writer.putZeros((12 - (lineStart % 8)) % 8);
      if (scheme === 'mh') {
        writer.put(EOL_CODE, EOL_BITS);
        encode1D(writer, current, count, width);
      } else if (twoDimensionalLeft === 0) {
        writer.put((EOL_CODE << 1) | 1, EOL_BITS + 1);
        encode1D(writer, current, count, width);
        twoDimensionalLeft = k - 1;
      } else {
        const mark = writer.mark();
        const before = writer.bitLength;
        writer.put(EOL_CODE << 1, EOL_BITS + 1);
        encode2D(writer, current, reference, width);
        if (chooseShorter && writer.bitLength - before - (EOL_BITS + 1) > bits1D(current, count, width)) {
          writer.rewind(mark);
          writer.put((EOL_CODE << 1) | 1, EOL_BITS + 1);
          encode1D(writer, current, count, width);
          twoDimensionalLeft = k - 1;
        } else {
          twoDimensionalLeft--;
        }
      }
      const lineBits = writer.bitLength - lineStart;
      if (lineBits < minRowBits) writer.putZeros(minRowBits - lineBits);
    }
    const previous = reference;
    reference = current;
    current = previous;
  }

  writer.reserve(32);
  if (scheme === 'mmr' && (options.eofb ?? true)) {
    writer.put(EOL_CODE, EOL_BITS);
    writer.put(EOL_CODE, EOL_BITS);
  } else if ((scheme === 'mh' || scheme === 'mr') && (options.rtc ?? false)) {
    const eol = scheme === 'mr' ? (EOL_CODE << 1) | 1 : EOL_CODE;
    const bits = scheme === 'mr' ? EOL_BITS + 1 : EOL_BITS;
    for (let i = 0; i < 6; i++) writer.put(eol, bits);
  }
  const bytes = writer.finish();
  if (options.fillOrder === 2) for (let i = 0; i < bytes.length; i++) bytes[i] = BIT_REVERSE[bytes[i]!]!;
  return bytes;
}

function encode1D(writer: BitWriter, changes: Int32Array, count: number, width: number): void {
  if (width >= LONG_RUN) {
    // Runs may need repeated 2560 make-up codes: the general path.
    let position = 0;
    for (let i = 0; i <= count; i++) {
      const next = i < count ? changes[i]! : width;
      writer.putRun(i & 1 ? BLACK_RUN_CODES : WHITE_RUN_CODES, next - position);
      position = next;
    }
    return;
  }
  // Every run is one table entry; the accumulator lives in locals for the line.
  const out = writer.buffer;
  let length = writer.length;
  let acc = writer.acc;
  let bits = writer.bits;
  let position = 0;
  for (let i = 0; i <= count; i++) {
    const next = i < count ? changes[i]! : width;
    const codes = i & 1 ? BLACK_RUN_CODES : WHITE_RUN_CODES;
    const run = next - position;
    const packed = codes[run]!;
    acc = (acc << (packed & 31)) | (packed >>> 5);
    bits += packed & 31;
    while (bits >= 8) {
      bits -= 8;
      out[length++] = acc >>> bits;
    }
    position = next;
  }
  writer.length = length;
  writer.acc = acc;
  writer.bits = bits;
}

function bits1D(changes: Int32Array, count: number, width: number): number {
  let position = 0;
  let bits = 0;
  for (let i = 0; i <= count; i++) {
    const next = i < count ? changes[i]! : width;
    bits += runBits(i & 1 ? BLACK_RUN_CODES : WHITE_RUN_CODES, next - position);
    position = next;
  }
  return bits;
}

/**
 * T.4 4.2.1.3 / T.6: pass, vertical or horizontal mode for each changing element. The hottest
 * loop of the encoder, so the writer's accumulator lives in locals for the whole line.
 */
function encode2D(writer: BitWriter, line: Int32Array, ref: Int32Array, width: number): void {
  const out = writer.buffer;
  let length = writer.length;
  let acc = writer.acc;
  let bits = writer.bits;
  let a0 = -1;
  let color = 0;
  let ai = 0; // index of a1: the first changing element of the coding line right of a0
  let bi = 0;
  while (a0 < width) {
    bi = findB1(ref, bi, a0, color);
    let a1 = line[ai]!;
    let b1 = ref[bi]!;
    // V0 runs: a1 on b1. The next b1 is then the next reference change (strictly increasing, of
    // the other colour, right of the new a0), so no search is needed until the run breaks.
    while (a1 === b1 && a0 < width) {
      acc = (acc << 1) | 1;
      if (++bits === 8) {
        bits = 0;
        out[length++] = acc;
      }
      a0 = a1;
      color ^= 1;
      ai++;
      bi++;
      a1 = line[ai]!;
      b1 = ref[bi]!;
    }
    if (a0 >= width) break;
    const b2 = ref[bi + 1]!;
    let code: number;
    let count: number;
    if (b2 < a1) {
      code = PASS_CODE;
      count = PASS_BITS;
      a0 = b2;
    } else if (a1 - b1 >= -3 && a1 - b1 <= 3) {
      code = VERTICAL_CODE[a1 - b1 + 3]!;
      count = VERTICAL_BITS[a1 - b1 + 3]!;
      a0 = a1;
      color ^= 1;
      ai++;
      bi++; // the next b1 is usually the next reference change: findB1 then only confirms it
    } else {
      const a2 = line[ai + 1]!;
      const first = a1 - (a0 < 0 ? 0 : a0);
      const second = a2 - a1;
      if (first >= LONG_RUN || second >= LONG_RUN) {
        // Only pages wider than 2623 pixels get here: take the general path.
        writer.length = length;
        writer.acc = acc;
        writer.bits = bits;
        writer.put(HORIZONTAL_CODE, HORIZONTAL_BITS);
        writer.putRun(color === 0 ? WHITE_RUN_CODES : BLACK_RUN_CODES, first);
        writer.putRun(color === 0 ? BLACK_RUN_CODES : WHITE_RUN_CODES, second);
        length = writer.length;
        acc = writer.acc;
        bits = writer.bits;
        a0 = a2;
        ai += 2;
        continue;
      }
      const firstCodes = color === 0 ? WHITE_RUN_CODES : BLACK_RUN_CODES;
      const secondCodes = color === 0 ? BLACK_RUN_CODES : WHITE_RUN_CODES;
      // H, the first run, then (below) the second run: each write at most 25 bits.
      acc = (acc << HORIZONTAL_BITS) | HORIZONTAL_CODE;
      bits += HORIZONTAL_BITS;
      while (bits >= 8) {
        bits -= 8;
        out[length++] = acc >>> bits;
      }
      const firstCode = firstCodes[first]!;
      acc = (acc << (firstCode & 31)) | (firstCode >>> 5);
      bits += firstCode & 31;
      while (bits >= 8) {
        bits -= 8;
        out[length++] = acc >>> bits;
      }
      code = secondCodes[second]! >>> 5;
      count = secondCodes[second]! & 31;
      a0 = a2;
      ai += 2;
    }
    acc = (acc << count) | code;
    bits += count;
    while (bits >= 8) {
      bits -= 8;
      out[length++] = acc >>> bits;
    }
  }
  writer.length = length;
  writer.acc = acc;
  writer.bits = bits;
}
