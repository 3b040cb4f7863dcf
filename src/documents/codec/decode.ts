// Decodes T.4 (MH, MR), T.6 (MMR) and TIFF "CCITT RLE" data into a Bitmap. Like a receiving fax,
// a corrupt MH/MR line is replaced by the previous good line, counted, and decoding resumes at the
// next EOL; MMR has no EOLs, so a corrupt line ends the page and the rest is reported missing.
// Limits: width, height, input bytes and a wall-clock budget checked every few rows.
import { type Bitmap } from '../page.ts';
import { DecodeTimeoutError, ImageLimitError, InvalidImageError } from '../image-errors.ts';
import {
  BitReader,
  CONSUMED_MASK,
  peekShort,
  peekWindow,
  readRunAt,
  RUN_SHIFT,
  WINDOW_BITS,
} from './bit-reader.ts';
import { changesCapacity, changesToRow, endLine, findB1, SENTINELS } from './lines.ts';
import {
  checkHeight,
  checkWidth,
  DEFAULT_CODEC_LIMITS,
  ROWS_PER_TIME_CHECK,
  type CodecLimits,
  type CodingScheme,
  type FillOrder,
} from './options.ts';
import { BLACK_LOOKUP, BLACK_PEEK_BITS, WHITE_LOOKUP, WHITE_PEEK_BITS } from './tables.ts';

export interface DecodeOptions {
  readonly scheme: CodingScheme;
  readonly width: number;
  /** Rows to decode; when absent, decoding runs to RTC/EOFB or the end of the data. */
  readonly height?: number;
  readonly fillOrder?: FillOrder;
  /** Accept widths other than the fax widths (foreign TIFFs); the caller rescales. */
  readonly allowAnyWidth?: boolean;
  readonly limits?: Partial<CodecLimits>;
  /** Zeroed buffer of rowBytes × height bytes to decode into (saves a copy); needs `height`. */
  readonly into?: Uint8Array;
  /** Milliseconds clock for the time budget (tests pass a simulated one). */
  readonly now?: () => number;
}

export interface DecodeResult {
  readonly bitmap: Bitmap;
  /** Lines that could not be decoded (replaced by the previous good line) or are missing. */
  readonly badLines: number;
  /** Longest run of consecutive bad lines (TIFF ConsecutiveBadFaxLines). */
  readonly consecutiveBadLines: number;
  /** Rows at the end that the data did not contain (truncated data, or MMR stopped). */
  readonly missingRows: number;
  /** What went wrong, when something did; undefined for a clean page. */
  readonly problem: string | undefined;
}

/** Decodes one page. Throws ImageLimitError / DecodeTimeoutError when a limit is exceeded. */
export function decodePage(input: Uint8Array, options: DecodeOptions): DecodeResult {
  const limits = { ...DEFAULT_CODEC_LIMITS, ...options.limits };
  checkWidth(options.width, options.allowAnyWidth ?? false, limits);
  if (options.height !== undefined) checkHeight(options.height, limits);
  if (input.length > limits.maxInputBytes) {
    throw new ImageLimitError(
      `compressed page of ${input.length} bytes exceeds the limit of ${limits.maxInputBytes}`,
    );
  }
  return new PageDecoder(input, options, limits).run();
}

class PageDecoder {
  private readonly reader: BitReader;
  private readonly width: number;
  private readonly rowBytes: number;
  private readonly knownHeight: number | undefined;
  private readonly maxRows: number;
  private readonly scheme: CodingScheme;
  private readonly now: () => number;
  private readonly deadline: number;
  private readonly maxDecodeMs: number;
  private data: Uint8Array;
  private reference: Int32Array;
  private current: Int32Array;
  private rows = 0;
  private badLines = 0;
  private badRun = 0;
  private badRunBeforeLastLine = 0;
  private longestBadRun = 0;
  private problem: string | undefined;

  constructor(input: Uint8Array, options: DecodeOptions, limits: CodecLimits) {
    this.reader = new BitReader(input, options.fillOrder === 2);
    this.width = options.width;
    this.rowBytes = Math.ceil(options.width / 8);
    this.knownHeight = options.height;
    this.maxRows = options.height ?? limits.maxHeight;
    this.scheme = options.scheme;
    this.now = options.now ?? (() => performance.now());
    this.maxDecodeMs = limits.maxDecodeMs;
    this.deadline = this.now() + limits.maxDecodeMs;
    // Unknown height: start with a typical fine page and grow by doubling up to the limit.
    const bytes = this.rowBytes * (options.height ?? Math.min(2300, limits.maxHeight));
    if (options.into !== undefined && (options.height === undefined || options.into.length !== bytes)) {
      throw new RangeError('decodePage: `into` needs a known height and exactly rowBytes × height bytes');
    }
    this.data = options.into ?? new Uint8Array(bytes);
    this.reference = new Int32Array(changesCapacity(this.width));
    this.current = new Int32Array(changesCapacity(this.width));
    this.reference.fill(this.width, 0, SENTINELS); // the imaginary all-white line above the page
  }

  run(): DecodeResult {
    if (this.scheme === 'mmr') this.decodeMmr();
    else if (this.scheme === 'rle') this.decodeRle();
    else this.decodeT4(this.scheme === 'mr');
    if (this.knownHeight === undefined && this.rows >= this.maxRows && this.moreLinesFollow()) {
      throw new ImageLimitError(`page is longer than the limit of ${this.maxRows} rows`);
    }
    const height = this.knownHeight ?? this.rows;
    const missingRows = height - this.rows;
    if (missingRows > 0) {
      this.badLines += missingRows;
      this.longestBadRun = Math.max(this.longestBadRun, this.badRun + missingRows);
      this.problem ??= `data ended after ${this.rows} of ${height} rows`;
    }
    if (height === 0) throw new InvalidImageError('the fax data contains no rows');
    const data =
      this.data.length === height * this.rowBytes ? this.data : this.data.slice(0, height * this.rowBytes);
    return {
      bitmap: { width: this.width, height, rowBytes: this.rowBytes, data },
      badLines: this.badLines,
      consecutiveBadLines: this.longestBadRun,
      missingRows,
      problem: this.problem,
    };
  }

  private decodeT4(twoDimensional: boolean): void {
    const reader = this.reader;
    let eolPending = false;
    let usesEols = false;
    let referenceLost = false;
    while (this.rows < this.maxRows) {
      this.checkClock();
      const sawEol = eolPending || reader.readEol();
      eolPending = false;
      if (sawEol) {
        usesEols = true;
      } else if (usesEols) {
        // Only fill up to the end: the data is over. Anything else where an EOL belongs means
        // the previous line decoded to the right width from wrong bits: it was corrupt too.
        if (reader.zerosAt(reader.pos) >= reader.endBit - reader.pos) break;
        this.retractLine();
        referenceLost = true;
        if (!reader.seekEol()) break;
        eolPending = true;
        continue;
      }
      let oneDimensional = true;
      if (sawEol) {
        if (twoDimensional) oneDimensional = reader.readBit() === 1;
        // Two EOLs in a row cannot enclose a line: that is RTC, the end of the page.
        if (reader.atEol()) break;
      }
      if (reader.atEnd) break;
      // After a bad line the true reference line is unknown: 2D lines stay bad until a 1D line.
      const count: number = oneDimensional ? this.decode1D() : referenceLost ? -1 : this.decode2D();
      referenceLost = count < 0;
      if (count >= 0 && reader.pos <= reader.endBit) {
        this.acceptLine(count);
        continue;
      }
      if (reader.pos > reader.endBit) {
        this.problem ??= `data ended inside row ${this.rows + 1}`;
        break;
      }
      this.rejectLine();
      if (!reader.seekEol()) break;
      eolPending = true;
    }
  }

  private decodeMmr(): void {
    const reader = this.reader;
    while (this.rows < this.maxRows) {
      this.checkClock();
      // EOFB (or the end) before the expected height: the missing rows are reported by run().
      // A line starts with a mode code, at most six zeros and a one; only then is a look needed.
      if (peekWindow(reader.data, reader.pos) >>> 25 === 0 && (reader.atEnd || reader.atEol())) break;
      const count = this.decode2D();
      if (count < 0 || reader.pos > reader.endBit) {
        // Without EOLs there is no way back into step: stop the page here.
        this.problem = `MMR data corrupt at row ${this.rows + 1}; the rest of the page is missing`;
        break;
      }
      this.acceptLine(count);
    }
  }

  private decodeRle(): void {
    const reader = this.reader;
    while (this.rows < this.maxRows && !reader.atEnd) {
      this.checkClock();
      const count = this.decode1D();
      if (count < 0 || reader.pos > reader.endBit) {
        this.problem = `CCITT RLE data corrupt at row ${this.rows + 1}; the rest of the page is missing`;
        break;
      }
      this.acceptLine(count);
      reader.alignToByte();
    }
  }

  /** After the last allowed row: is there another line rather than RTC/EOFB or the end? */
  private moreLinesFollow(): boolean {
    const reader = this.reader;
    const saved = reader.pos;
    let more: boolean;
    if (reader.readEol()) {
      if (this.scheme === 'mr') reader.readBit();
      more = !reader.atEnd && !reader.atEol();
    } else {
      more = reader.zerosAt(reader.pos) < reader.endBit - reader.pos;
    }
    reader.pos = saved;
    return more;
  }

  private decode1D(): number {
    const reader = this.reader;
    const data = reader.data;
    const width = this.width;
    const out = this.current;
    let pos = reader.pos;
    let a0 = 0;
    let color = 0;
    let count = 0;
    while (a0 < width) {
      const packed = readRunAt(data, pos, color, width);
      if (packed < 0) break;
      pos += packed & CONSUMED_MASK;
      a0 += packed >>> RUN_SHIFT;
      if (a0 > width || count > width + 1) break;
      out[count++] = a0;
      color ^= 1;
    }
    reader.pos = pos;
    if (a0 !== width) return -1;
    return endLine(out, count, width);
  }

  /**
   * T.4 two-dimensional / T.6 line against `reference`: the hottest loop of the decoder. The bit
   * position lives in a local; runs of vertical codes and passes are shifted out of a window of
   * bits in a register, refilled from three bytes (a bit buffer kept for every code, horizontal
   * runs included, measured slower).
   */
  private decode2D(): number {
    const reader = this.reader;
    const data = reader.data;
    const width = this.width;
    const ref = this.reference;
    const out = this.current;
    let pos = reader.pos;
    let a0 = -1;
    let count = 0; // also the colour of a0: every change switches it, so white when even
    let bi = 0;
    line: while (a0 < width) {
      bi = findB1(ref, bi, a0);
      const window = peekWindow(data, pos);
      if (window >>> 29 === 1) {
        // Horizontal mode ('001'): two runs, one of a0's colour, then one of the other.
        pos += 3;
        let a1 = a0 < 0 ? 0 : a0;
        const color = count & 1;
        for (let half = 0; half < 2; half++) {
          const black = color ^ half;
          const table = black ? BLACK_LOOKUP : WHITE_LOOKUP;
          const peek = black ? BLACK_PEEK_BITS : WHITE_PEEK_BITS;
          let run = 0;
          for (;;) {
            const code = table[peekShort(data, pos, peek)]!;
            if (code === 0) break line;
            pos += code & 31;
            run += code >>> 5;
            if (code >>> 5 < 64) break;
            if (run > width) break line;
          }
          a1 += run;
          if (a1 > width) break line;
          out[count++] = a1;
        }
        a0 = a1;
        if (count > width + 1) break; // only zero-length runs can produce more
        continue;
      }
      // Seven zeros or more: an EOL, fill or the end of the data; '0000001' is an extension code
      // (uncompressed mode), not supported, as in libtiff.
      if (window >>> 25 <= 1) {
        if (window >>> 25 === 1) pos += 7;
        break;
      }
      // Every other code is vertical or a pass. V0 ('1'), VR1 ('011') and VL1 ('010') are nine
      // in ten of a text page's codes and come in runs (strokes continue from the line above).
      // While each next b1 is simply the next reference change (right of a1, none left of a1 to
      // step back to), they are decoded from bits held in a register, with no findB1.
      let bits = window;
      let left = WINDOW_BITS;
      for (;;) {
        if (bits < 0) {
          // Leading ones are V0 codes: each b1 is the next reference change while that stays
          // right of the last (a reference line can hold an empty run, or end).
          const codes = Math.clz32(~bits | (1 << (31 - left)));
          let a1 = ref[bi]!;
          out[count] = a1;
          let copied = 1;
          while (copied < codes && a1 < width) {
            const next = ref[bi + copied]!;
            if (next <= a1) break;
            out[count + copied] = next;
            a1 = next;
            copied++;
          }
          count += copied;
          bi += copied;
          pos += copied;
          bits <<= copied;
          left -= copied;
          a0 = a1;
          if (a1 >= width || ref[bi]! <= a1) break;
        } else if (bits >>> 28 === 1) {
          // Pass ('0001'): a0 moves under b2; b1 is then the reference change after b2.
          a0 = ref[bi + 1]!;
          bi += 2;
          pos += 4;
          bits <<= 4;
          left -= 4;
          if (ref[bi]! <= a0) break;
        } else {
          // VR1/VL1 ('011'/'010'), VR2/VL2 ('000011'/'000010'), VR3/VL3 ('0000011'/'0000010'):
          // the last bit of the code is the side.
          let length: number;
          let offset: number;
          if (bits >= 1 << 30) {
            length = 3;
            offset = ((bits >>> 28) & 2) - 1;
          } else if (bits >>> 27 === 1 || bits >>> 26 === 1) {
            length = bits >>> 27 === 1 ? 6 : 7;
            offset = (((bits >>> (32 - length)) & 1) * 2 - 1) * (length - 4);
          } else {
            break;
          }
          const a1 = ref[bi]! + offset;
          pos += length;
          if (a1 < a0 || a1 < 0 || a1 > width) break line;
          bits <<= length;
          left -= length;
          out[count++] = a1;
          a0 = a1;
          bi++;
          // VL can repeat a0 (a zero-length run): the count check bounds that.
          if (a1 >= width || ref[bi]! <= a1 || (bi >= 2 && ref[bi - 2]! > a1) || count > width + 1) break;
        }
        if (left < 7) {
          bits = peekWindow(data, pos);
          left = WINDOW_BITS;
        }
      }
    }
    reader.pos = pos;
    if (a0 < width) return -1;
    return endLine(out, count, width);
  }

  /** Marks the last accepted line bad after all: the line before takes its place. */
  private retractLine(): void {
    const offset = (this.rows - 1) * this.rowBytes;
    if (this.rows >= 2) this.data.copyWithin(offset, offset - this.rowBytes, offset);
    else this.data.fill(0, offset, offset + this.rowBytes);
    // acceptLine swapped the buffers, so `current` still holds the reference before that line.
    const retracted = this.reference;
    this.reference = this.current;
    this.current = retracted;
    this.badLines++;
    this.badRun = this.badRunBeforeLastLine + 1;
    this.longestBadRun = Math.max(this.longestBadRun, this.badRun);
    this.problem ??= `corrupt data at row ${this.rows}`;
  }

  private acceptLine(count: number): void {
    const offset = this.ensureRow();
    changesToRow(this.current, count, this.data, offset);
    const previous = this.reference;
    this.reference = this.current;
    this.current = previous;
    this.rows++;
    this.badRunBeforeLastLine = this.badRun;
    this.badRun = 0;
  }

  /** A receiving fax repeats the previous good line; the reference line stays that line too. */
  private rejectLine(): void {
    const offset = this.ensureRow();
    if (this.rows > 0) this.data.copyWithin(offset, offset - this.rowBytes, offset);
    this.rows++;
    this.badLines++;
    this.badRun++;
    this.longestBadRun = Math.max(this.longestBadRun, this.badRun);
    this.problem ??= `corrupt data at row ${this.rows}`;
  }

  private ensureRow(): number {
    const offset = this.rows * this.rowBytes;
    if (offset + this.rowBytes > this.data.length) {
      const grown = new Uint8Array(Math.min(this.data.length * 2, this.maxRows * this.rowBytes));
      grown.set(this.data);
      this.data = grown;
    }
    return offset;
  }

  private checkClock(): void {
    if (this.rows % ROWS_PER_TIME_CHECK !== 0) return;
    if (this.now() > this.deadline) {
      throw new DecodeTimeoutError(
        `decoding took longer than ${this.maxDecodeMs} ms (stopped at row ${this.rows})`,
      );
    }
  }
}
