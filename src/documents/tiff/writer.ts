// Writes fax pages as a TIFF Class F file: little endian, one IFD per page chained in order,
// strips of `rowsPerStrip` rows (one strip per page by default), each strip an independent
// T.4/T.6 stream as libtiff expects, and the fax tags (resolution, T4/T6 options, PageNumber,
// BadFaxLines, CleanFaxData, ConsecutiveBadFaxLines, Software, DateTime).
import { FAX_RESOLUTIONS, type Bitmap, type FaxPage } from '../page.ts';
import { encodePage } from '../codec/encode.ts';
import { BIT_REVERSE } from '../codec/tables.ts';
import { type CodingScheme, type FillOrder } from '../codec/options.ts';
import { type PageQuality } from './reader.ts';
import {
  CLEAN_FAX,
  COMPRESSION,
  PHOTOMETRIC_WHITE_IS_ZERO,
  RESOLUTION_UNIT,
  T4_2D,
  T4_FILL_BITS,
  TAG,
  TYPE,
} from './tags.ts';

/** `g3` T.4 1D (MH), `g3-2d` T.4 2D (MR), `g4` T.6 (MMR), `rle` CCITT RLE, `none` uncompressed. */
export type TiffCompression = 'g3' | 'g3-2d' | 'g4' | 'rle' | 'none';

export interface TiffWriteOptions {
  readonly compression?: TiffCompression;
  readonly fillOrder?: FillOrder;
  /** Rows per strip; default: the whole page in one strip. */
  readonly rowsPerStrip?: number;
  /** G3: byte-align EOLs (T4Options fill bits). Default true, the Class F recommendation. */
  readonly byteAlignEol?: boolean;
  readonly software?: string;
  /** Written as DateTime; omitted when absent so output is reproducible. */
  readonly dateTime?: Date;
}

/** A page to write, optionally with the reception quality a fax receiver recorded. */
export type TiffPageInput = FaxPage & { readonly quality?: PageQuality };

const SCHEMES: Record<TiffCompression, CodingScheme | null> = {
  g3: 'mh',
  'g3-2d': 'mr',
  g4: 'mmr',
  rle: 'rle',
  none: null,
};

const COMPRESSION_TAG: Record<TiffCompression, number> = {
  g3: COMPRESSION.t4,
  'g3-2d': COMPRESSION.t4,
  g4: COMPRESSION.t6,
  rle: COMPRESSION.ccittRle,
  none: COMPRESSION.none,
};

interface Entry {
  readonly tag: number;
  readonly type: number;
  readonly values: readonly number[] | string;
}

export function writeTiff(pages: readonly TiffPageInput[], options: TiffWriteOptions = {}): Uint8Array {
  const parts = writeTiffParts(pages, options);
  const file = new Uint8Array(parts.reduce((size, part) => size + part.length, 0));
  let at = 0;
  for (const part of parts) {
    file.set(part, at);
    at += part.length;
  }
  return file;
}

/**
 * The file as consecutive parts, for writing with `writev`: uncompressed pages are passed
 * through without a copy (a 100-page raw TIFF is 47 MB).
 */
export function writeTiffParts(
  pages: readonly TiffPageInput[],
  options: TiffWriteOptions = {},
): Uint8Array[] {
  const parts: Uint8Array[] = [];
  const writer = new TiffPageWriter(pages.length, options, (part) => parts.push(part));
  for (const page of pages) writer.writePage(page);
  return parts;
}

/**
 * Writes a TIFF one page at a time, handing each part of the file to `write` in file order.
 * Every page's IFD goes before its strips and points past them to the next page's IFD, so
 * nothing already handed out is patched later and a page can be dropped once written. Needs
 * the page count up front (PageNumber), and exactly that many pages.
 */
export class TiffPageWriter {
  private readonly pageCount: number;
  private readonly options: TiffWriteOptions;
  private readonly write: (part: Uint8Array) => void;
  /** Bytes handed to `write` so far: the offset of the next part. */
  private size = 0;
  private pagesWritten = 0;

  constructor(pageCount: number, options: TiffWriteOptions, write: (part: Uint8Array) => void) {
    this.pageCount = pageCount;
    this.options = options;
    this.write = write;
    const header = new Uint8Array(8);
    const view = new DataView(header.buffer);
    view.setUint16(0, 0x4949);
    view.setUint16(2, 42, true);
    view.setUint32(4, pageCount > 0 ? header.length : 0, true);
    this.emit(header);
  }

  writePage(page: TiffPageInput): void {
    if (this.pagesWritten === this.pageCount) {
      throw new RangeError(`TiffPageWriter: more than the ${this.pageCount} pages announced`);
    }
    const options = this.options;
    const compression = options.compression ?? 'g4';
    const rowsPerStrip = Math.max(1, Math.min(options.rowsPerStrip ?? page.height, page.height));
    const strips: Uint8Array[] = [];
    for (let first = 0; first < page.height; first += rowsPerStrip) {
      const rows = sliceRows(page, first, Math.min(rowsPerStrip, page.height - first));
      // T.4's K: a 1D line every 2 lines at standard resolution, every 4 at fine and above.
      strips.push(encodeStrip(rows, page.resolution === 'standard' ? 2 : 4, compression, options));
    }
    const stripCounts = strips.map((strip) => strip.length);
    const entriesWith = (stripOffsets: readonly number[]): Entry[] =>
      pageEntries(page, this.pagesWritten, this.pageCount, rowsPerStrip, stripOffsets, stripCounts, options);
    // The IFD's size does not depend on the offsets it holds: lay the strips out after it.
    let at = this.size + ifdBytes(entriesWith(strips.map(() => 0)));
    const stripOffsets = strips.map((strip) => {
      const offset = at;
      at = wordAligned(at + strip.length);
      return offset;
    });
    this.pagesWritten++;
    const next = this.pagesWritten < this.pageCount ? at : 0;
    this.emit(buildIfd(entriesWith(stripOffsets), this.size, next));
    for (const strip of strips) this.emit(strip);
  }

  /** Hands out a part, then a pad byte if needed: TIFF wants word-aligned offsets. */
  private emit(part: Uint8Array): void {
    this.write(part);
    this.size += part.length;
    if (this.size % 2 === 1) {
      this.write(new Uint8Array(1));
      this.size++;
    }
  }
}

function wordAligned(offset: number): number {
  return offset + (offset % 2);
}

function pageEntries(
  page: TiffPageInput,
  index: number,
  pageCount: number,
  rowsPerStrip: number,
  stripOffsets: readonly number[],
  stripCounts: readonly number[],
  options: TiffWriteOptions,
): Entry[] {
  const compression = options.compression ?? 'g4';
  const { xDpi, yDpi } = FAX_RESOLUTIONS[page.resolution];
  const entries: Entry[] = [
    { tag: TAG.NewSubfileType, type: TYPE.LONG, values: [2] }, // a page of a multi-page document
    { tag: TAG.ImageWidth, type: TYPE.LONG, values: [page.width] },
    { tag: TAG.ImageLength, type: TYPE.LONG, values: [page.height] },
    { tag: TAG.BitsPerSample, type: TYPE.SHORT, values: [1] },
    { tag: TAG.Compression, type: TYPE.SHORT, values: [COMPRESSION_TAG[compression]] },
    { tag: TAG.Photometric, type: TYPE.SHORT, values: [PHOTOMETRIC_WHITE_IS_ZERO] },
    { tag: TAG.FillOrder, type: TYPE.SHORT, values: [options.fillOrder ?? 1] },
    { tag: TAG.StripOffsets, type: TYPE.LONG, values: stripOffsets },
    { tag: TAG.SamplesPerPixel, type: TYPE.SHORT, values: [1] },
    { tag: TAG.RowsPerStrip, type: TYPE.LONG, values: [rowsPerStrip] },
    { tag: TAG.StripByteCounts, type: TYPE.LONG, values: stripCounts },
    { tag: TAG.XResolution, type: TYPE.RATIONAL, values: [xDpi, 1] },
    { tag: TAG.YResolution, type: TYPE.RATIONAL, values: [yDpi, 1] },
    { tag: TAG.PlanarConfiguration, type: TYPE.SHORT, values: [1] },
    { tag: TAG.ResolutionUnit, type: TYPE.SHORT, values: [RESOLUTION_UNIT.inch] },
    { tag: TAG.PageNumber, type: TYPE.SHORT, values: [index, pageCount] },
  ];
  if (compression === 'g3' || compression === 'g3-2d') {
    const t4 = (compression === 'g3-2d' ? T4_2D : 0) | ((options.byteAlignEol ?? true) ? T4_FILL_BITS : 0);
    entries.push({ tag: TAG.T4Options, type: TYPE.LONG, values: [t4] });
  } else if (compression === 'g4') {
    entries.push({ tag: TAG.T6Options, type: TYPE.LONG, values: [0] });
  }
  if (options.software !== undefined)
    entries.push({ tag: TAG.Software, type: TYPE.ASCII, values: options.software });
  if (options.dateTime !== undefined) {
    entries.push({ tag: TAG.DateTime, type: TYPE.ASCII, values: tiffDateTime(options.dateTime) });
  }
  // The fax quality tags belong to fax compressions; libtiff warns about them elsewhere.
  if (page.quality !== undefined && COMPRESSION_TAG[compression] !== COMPRESSION.none) {
    const { badLines, consecutiveBadLines } = page.quality;
    entries.push(
      { tag: TAG.BadFaxLines, type: TYPE.LONG, values: [badLines] },
      {
        tag: TAG.CleanFaxData,
        type: TYPE.SHORT,
        values: [badLines === 0 ? CLEAN_FAX.clean : CLEAN_FAX.regenerated],
      },
      { tag: TAG.ConsecutiveBadFaxLines, type: TYPE.LONG, values: [consecutiveBadLines] },
    );
  }
  return entries.sort((a, b) => a.tag - b.tag);
}

/** Bytes of an IFD and of its values that do not fit in their entries, each word aligned. */
function ifdBytes(entries: readonly Entry[]): number {
  let size = 2 + entries.length * 12 + 4;
  for (const entry of entries) {
    const length = encodeValue(entry).length;
    if (length > 4) size += wordAligned(length);
  }
  return size;
}

/**
 * Serialises an IFD that will sit at file offset `at`, followed by its values longer than 4
 * bytes; `next` is the offset of the next IFD (0 for the last page).
 */
function buildIfd(entries: readonly Entry[], at: number, next: number): Uint8Array {
  const bytes = new Uint8Array(ifdBytes(entries));
  const view = new DataView(bytes.buffer);
  view.setUint16(0, entries.length, true);
  let valueAt = 2 + entries.length * 12 + 4;
  entries.forEach((entry, i) => {
    const value = encodeValue(entry);
    const field = 2 + i * 12;
    view.setUint16(field, entry.tag, true);
    view.setUint16(field + 2, entry.type, true);
    view.setUint32(field + 4, entry.type === TYPE.RATIONAL ? value.length / 8 : count(entry), true);
    if (value.length <= 4) {
      bytes.set(value, field + 8);
    } else {
      bytes.set(value, valueAt);
      view.setUint32(field + 8, at + valueAt, true);
      valueAt += wordAligned(value.length);
    }
  });
  view.setUint32(2 + entries.length * 12, next, true);
  return bytes;
}

function count(entry: Entry): number {
  return typeof entry.values === 'string' ? entry.values.length + 1 : entry.values.length;
}

function encodeValue(entry: Entry): Uint8Array {
  if (typeof entry.values === 'string') {
    const text = new TextEncoder().encode(entry.values);
    const bytes = new Uint8Array(text.length + 1);
    bytes.set(text);
    return bytes;
  }
  const size = entry.type === TYPE.SHORT ? 2 : 4;
  const bytes = new Uint8Array(entry.values.length * size);
  const view = new DataView(bytes.buffer);
  entry.values.forEach((value, i) => {
    if (size === 2) view.setUint16(i * 2, value, true);
    else view.setUint32(i * 4, value, true);
  });
  return bytes;
}

function encodeStrip(
  bitmap: Bitmap,
  k: number,
  compression: TiffCompression,
  options: TiffWriteOptions,
): Uint8Array {
  const scheme = SCHEMES[compression];
  if (scheme === null) {
    // The file is assembled by copying chunks, so MSB-first rows need no copy of their own.
    return options.fillOrder === 2 ? reverseBits(bitmap.data.slice()) : bitmap.data;
  }
  return encodePage(bitmap, {
    scheme,
    fillOrder: options.fillOrder ?? 1,
    byteAlignEol: options.byteAlignEol ?? true,
    k,
  });
}

function reverseBits(bytes: Uint8Array): Uint8Array {
  for (let i = 0; i < bytes.length; i++) bytes[i] = BIT_REVERSE[bytes[i]!]!;
  return bytes;
}

function sliceRows(page: Bitmap, first: number, rows: number): Bitmap {
  if (first === 0 && rows === page.height) return page;
  const data = page.data.subarray(first * page.rowBytes, (first + rows) * page.rowBytes);
  return { width: page.width, height: rows, rowBytes: page.rowBytes, data };
}

/** "YYYY:MM:DD HH:MM:SS" in UTC, as TIFF DateTime wants (19 characters). */
function tiffDateTime(date: Date): string {
  const pad = (value: number): string => String(value).padStart(2, '0');
  return (
    `${date.getUTCFullYear()}:${pad(date.getUTCMonth() + 1)}:${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`
  );
}
