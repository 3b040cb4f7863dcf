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
 * The file as consecutive parts, for writing with `writev` or streaming: uncompressed pages are
 * passed through without a copy (a 100-page raw TIFF is 47 MB).
 */
export function writeTiffParts(
  pages: readonly TiffPageInput[],
  options: TiffWriteOptions = {},
): Uint8Array[] {
  const compression = options.compression ?? 'g4';
  const chunks: Uint8Array[] = [];
  let size = 8;
  const append = (bytes: Uint8Array): number => {
    if (size % 2 === 1) {
      chunks.push(new Uint8Array(1)); // TIFF wants word-aligned offsets
      size++;
    }
    const offset = size;
    chunks.push(bytes);
    size += bytes.length;
    return offset;
  };
  const header = new Uint8Array(8);
  const headerView = new DataView(header.buffer);
  headerView.setUint16(0, 0x4949);
  headerView.setUint16(2, 42, true);
  chunks.push(header);

  // Where the offset of the next IFD goes: the header first, then each IFD's last four bytes.
  let nextPointer: { part: Uint8Array; at: number } = { part: header, at: 4 };
  pages.forEach((page, index) => {
    const rowsPerStrip = Math.max(1, Math.min(options.rowsPerStrip ?? page.height, page.height));
    const stripOffsets: number[] = [];
    const stripCounts: number[] = [];
    for (let first = 0; first < page.height; first += rowsPerStrip) {
      const rows = sliceRows(page, first, Math.min(rowsPerStrip, page.height - first));
      // T.4's K: a 1D line every 2 lines at standard resolution, every 4 at fine and above.
      const strip = encodeStrip(rows, page.resolution === 'standard' ? 2 : 4, compression, options);
      stripOffsets.push(append(strip));
      stripCounts.push(strip.length);
    }
    const ifd = buildIfd(
      pageEntries(page, index, pages.length, rowsPerStrip, stripOffsets, stripCounts, options),
      (bytes) => append(bytes),
    );
    const ifdOffset = append(ifd.bytes);
    new DataView(nextPointer.part.buffer, nextPointer.part.byteOffset).setUint32(
      nextPointer.at,
      ifdOffset,
      true,
    );
    nextPointer = { part: ifd.bytes, at: ifd.nextPointer };
  });
  return chunks;
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

/** Serialises an IFD; values longer than 4 bytes go through `place` and are referenced by offset. */
function buildIfd(
  entries: readonly Entry[],
  place: (bytes: Uint8Array) => number,
): { bytes: Uint8Array; nextPointer: number } {
  const bytes = new Uint8Array(2 + entries.length * 12 + 4);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, entries.length, true);
  entries.forEach((entry, i) => {
    const value = encodeValue(entry);
    const at = 2 + i * 12;
    view.setUint16(at, entry.tag, true);
    view.setUint16(at + 2, entry.type, true);
    view.setUint32(at + 4, entry.type === TYPE.RATIONAL ? value.length / 8 : count(entry), true);
    if (value.length <= 4) bytes.set(value, at + 8);
    else view.setUint32(at + 8, place(value), true);
  });
  return { bytes, nextPointer: 2 + entries.length * 12 };
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
