// Reads TIFF files (Class F and any bilevel TIFF with strips) into pages. The IFD chain, every
// offset and every count is checked against the file before anything is read or allocated, so a
// hostile header fails fast with a typed error naming the page. Limits: file bytes, pages,
// dimensions (fax widths unless `allowAnyWidth`), decoded bytes of all pages, and decode time
// per page and per document.
import { type Bitmap, type FaxPage, type FaxResolution } from '../page.ts';
import {
  DecodeTimeoutError,
  ImageLimitError,
  InvalidImageError,
  UnsupportedImageError,
  onPage,
} from '../image-errors.ts';
import { decodePage } from '../codec/decode.ts';
import { BIT_REVERSE } from '../codec/tables.ts';
import { clearPadding, invertPixels } from '../codec/lines.ts';
import { memorySource, type ReadBuffer, type TiffSource } from './source.ts';
import {
  checkHeight,
  checkWidth,
  checkDecodedBytes,
  DEFAULT_CODEC_LIMITS,
  DEFAULT_DOCUMENT_LIMITS,
  type CodecLimits,
  type DocumentLimits,
  type CodingScheme,
  type FillOrder,
} from '../codec/options.ts';
import {
  COMPRESSION,
  PHOTOMETRIC_BLACK_IS_ZERO,
  PHOTOMETRIC_WHITE_IS_ZERO,
  RESOLUTION_UNIT,
  T4_2D,
  T4_UNCOMPRESSED,
  TAG,
  TYPE_SIZES,
} from './tags.ts';

export interface TiffReadOptions {
  /** Pages accepted; more is refused (Telnyx and we: 350). */
  readonly maxPages?: number;
  readonly maxFileBytes?: number;
  /** Accept any page width (up to `limits.maxWidth`) for foreign TIFFs; the caller rescales. */
  readonly allowAnyWidth?: boolean;
  readonly limits?: Partial<CodecLimits>;
  readonly documentLimits?: Partial<DocumentLimits>;
  readonly now?: () => number;
}

export const DEFAULT_MAX_PAGES = 350;
export const DEFAULT_MAX_TIFF_BYTES = 64 * 1024 * 1024;
const MAX_IFD_ENTRIES = 512;

/** How well a page came through (the fax TIFF tags, or what our decoder counted). */
export interface PageQuality {
  readonly badLines: number;
  readonly consecutiveBadLines: number;
  /** First problem the decoder met, if any. */
  readonly problem: string | undefined;
}

/** One decoded TIFF page with its geometry as stored (dpi may be anything). */
export interface TiffImage {
  readonly bitmap: Bitmap;
  readonly xDpi: number;
  readonly yDpi: number;
  readonly compression: number;
  readonly fillOrder: FillOrder;
  readonly quality: PageQuality;
}

export interface DecodedFaxPage extends FaxPage {
  readonly quality: PageQuality;
}

/**
 * Reads every page as a fax page: fax widths only, resolution mapped to the nearest fax one.
 * Uncompressed pages stored as a Bitmap holds them are views of `file`, not copies (see
 * readTiffImages): keep `file` unchanged while the pages are in use.
 */
export function readTiff(file: Uint8Array, options: TiffReadOptions = {}): DecodedFaxPage[] {
  return readTiffImages(file, { ...options, allowAnyWidth: false }).map(asFaxPage);
}

/** A page read with fax widths only, as a fax page: resolution mapped to the nearest fax one. */
export function asFaxPage(image: TiffImage): DecodedFaxPage {
  return { ...image.bitmap, resolution: nearestFaxResolution(image.yDpi), quality: image.quality };
}

/** Fine unless the vertical resolution is clearly standard (≈98) or superfine (≈391). */
export function nearestFaxResolution(yDpi: number): FaxResolution {
  if (yDpi < 147) return 'standard';
  if (yDpi < 290) return 'fine';
  return 'superfine';
}

/**
 * Reads every page with its stored geometry. Uncompressed pages stored the way a Bitmap holds
 * them (MSB first, white 0, whole bytes per row, strips back to back: what libtiff writes) are
 * views of `file`, not copies, as libtiff maps such strips instead of reading them: a 100-page
 * uncompressed file is 47 MB. The codec never writes into a page.
 */
export function readTiffImages(file: Uint8Array, options: TiffReadOptions = {}): TiffImage[] {
  const document = checkTiff(memorySource(file), options);
  return document.layouts.map((layout) => decodeImage(document, layout));
}

/** A TIFF whose headers all passed the checks, ready to decode page by page. */
export interface CheckedTiff {
  readonly layouts: readonly PageLayout[];
  readonly tiff: TiffStructure;
  readonly options: TiffReadOptions & { readonly now: () => number };
  /** End of the whole document's time budget. */
  readonly deadline: number;
}

/**
 * Checks every header, and the total size of the bitmaps, before the first page is decoded: a
 * hostile file fails here, having allocated nothing.
 */
export function checkTiff(source: TiffSource, options: TiffReadOptions): CheckedTiff {
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_TIFF_BYTES;
  if (source.length > maxBytes) {
    throw new ImageLimitError(`TIFF file of ${source.length} bytes exceeds the limit of ${maxBytes}`);
  }
  const tiff = new TiffStructure(source);
  const ifds = tiff.ifdOffsets(options.maxPages ?? DEFAULT_MAX_PAGES);
  const layouts = ifds.map((offset, index) =>
    describePage(tiff, tiff.readIfd(offset, index + 1), index + 1, options),
  );
  const documentLimits = { ...DEFAULT_DOCUMENT_LIMITS, ...options.documentLimits };
  checkDecodedBytes(
    layouts.reduce((sum, layout) => sum + bitmapBytes(layout), 0),
    documentLimits,
  );
  const now = options.now ?? (() => performance.now());
  return { layouts, tiff, options: { ...options, now }, deadline: now() + documentLimits.maxTotalDecodeMs };
}

function bitmapBytes(layout: PageLayout): number {
  return Math.ceil(layout.width / 8) * layout.height;
}

interface Field {
  readonly type: number;
  readonly count: number;
  readonly valueOffset: number;
}

/** Metadata reads fetch this many bytes around them from a file: an IFD and its values. */
const METADATA_WINDOW = 4096;

class TiffStructure {
  readonly source: TiffSource;
  private readonly little: boolean;
  /** The file's bytes around the last metadata read, from `windowStart` on. */
  private window: DataView = new DataView(new ArrayBuffer(0));
  private windowStart = 0;

  constructor(source: TiffSource) {
    this.source = source;
    if (source.length < 8) throw new InvalidImageError('not a TIFF file: shorter than its header');
    const order = this.u16(0, false);
    if (order !== 0x4949 && order !== 0x4d4d)
      throw new InvalidImageError('not a TIFF file: bad byte order mark');
    this.little = order === 0x4949;
    const magic = this.u16(2);
    if (magic === 43) throw new UnsupportedImageError('BigTIFF files are not supported');
    if (magic !== 42) throw new InvalidImageError('not a TIFF file: bad magic number');
  }

  u8(offset: number): number {
    const at = this.at(offset, 1);
    return this.window.getUint8(at);
  }

  u16(offset: number, little = this.little): number {
    const at = this.at(offset, 2);
    return this.window.getUint16(at, little);
  }

  u32(offset: number): number {
    const at = this.at(offset, 4);
    return this.window.getUint32(at, this.little);
  }

  /**
   * Where file offset `offset` lies in the window, fetching the window around it first if needed
   * (so read `this.window` only after calling this).
   */
  private at(offset: number, size: number): number {
    if (offset < this.windowStart || offset + size > this.windowStart + this.window.byteLength) {
      const start = offset - (offset % METADATA_WINDOW);
      const end = Math.min(this.source.length, start + 2 * METADATA_WINDOW);
      const bytes = this.source.bytes(start, end - start);
      this.window = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      this.windowStart = start;
    }
    return offset - this.windowStart;
  }

  /** The IFD chain, refusing loops, offsets outside the file and more than `maxPages` pages. */
  ifdOffsets(maxPages: number): number[] {
    const offsets: number[] = [];
    const seen = new Set<number>();
    let offset = this.u32(4);
    while (offset !== 0) {
      const page = offsets.length + 1;
      if (seen.has(offset)) throw new InvalidImageError(`page ${page}: circular IFD chain`);
      if (offset + 2 > this.source.length)
        throw new InvalidImageError(`page ${page}: IFD offset beyond end of file`);
      if (page > maxPages) throw new ImageLimitError(`TIFF has more than ${maxPages} pages`);
      seen.add(offset);
      offsets.push(offset);
      const entries = this.u16(offset);
      const next = offset + 2 + entries * 12;
      if (next + 4 > this.source.length)
        throw new InvalidImageError(`page ${page}: IFD extends beyond end of file`);
      offset = this.u32(next);
    }
    if (offsets.length === 0) throw new InvalidImageError('TIFF contains no pages');
    return offsets;
  }

  readIfd(offset: number, page: number): Map<number, Field> {
    const entries = this.u16(offset);
    if (entries > MAX_IFD_ENTRIES) throw new InvalidImageError(`page ${page}: IFD has ${entries} entries`);
    const fields = new Map<number, Field>();
    for (let i = 0; i < entries; i++) {
      const at = offset + 2 + i * 12;
      const tag = this.u16(at);
      const type = this.u16(at + 2);
      const count = this.u32(at + 4);
      const size = TYPE_SIZES[type];
      if (size === undefined) continue; // unknown types are skipped, as TIFF readers must
      const bytes = size * count;
      const valueOffset = bytes <= 4 ? at + 8 : this.u32(at + 8);
      if (valueOffset + bytes > this.source.length) {
        throw new InvalidImageError(`page ${page}: value of tag ${tag} lies beyond end of file`);
      }
      fields.set(tag, { type, count, valueOffset });
    }
    return fields;
  }

  /** The first `limit` values of a field (a hostile count never sizes an array). */
  values(field: Field, limit: number): number[] {
    const result: number[] = [];
    for (let i = 0; i < Math.min(field.count, limit); i++) result.push(this.value(field, i));
    return result;
  }

  /** One integer value of a BYTE/SHORT/LONG field (a RATIONAL as its quotient). */
  value(field: Field, index: number): number {
    const at = field.valueOffset;
    switch (field.type) {
      case 1:
      case 7:
        return this.u8(at + index);
      case 3:
        return this.u16(at + index * 2);
      case 4:
      case 13:
        return this.u32(at + index * 4);
      case 5: {
        const denominator = this.u32(at + index * 8 + 4);
        return denominator === 0 ? 0 : this.u32(at + index * 8) / denominator;
      }
      default:
        return 0;
    }
  }
}

/** Everything needed to decode a page, taken from its IFD and checked before any decoding. */
export interface PageLayout {
  readonly page: number;
  readonly width: number;
  readonly height: number;
  readonly compression: number;
  readonly scheme: CodingScheme | null;
  readonly photometric: number;
  readonly fillOrder: FillOrder;
  readonly rowsPerStrip: number;
  readonly stripOffsets: readonly number[];
  readonly stripCounts: readonly number[];
  readonly xDpi: number;
  readonly yDpi: number;
}

function describePage(
  tiff: TiffStructure,
  fields: Map<number, Field>,
  page: number,
  options: TiffReadOptions,
): PageLayout {
  const limits: CodecLimits = { ...DEFAULT_CODEC_LIMITS, ...options.limits };
  const one = (tag: number, fallback?: number): number => {
    const field = fields.get(tag);
    if (field === undefined || field.count === 0) {
      if (fallback === undefined) throw new InvalidImageError(`page ${page}: required tag ${tag} is missing`);
      return fallback;
    }
    return tiff.value(field, 0);
  };
  const invalid = (message: string): InvalidImageError => new InvalidImageError(`page ${page}: ${message}`);
  const unsupported = (message: string): UnsupportedImageError =>
    new UnsupportedImageError(`page ${page}: ${message}`);

  const width = one(TAG.ImageWidth);
  const height = one(TAG.ImageLength);
  try {
    checkWidth(width, options.allowAnyWidth ?? false, limits);
    checkHeight(height, limits);
  } catch (error) {
    throw onPage(error, page);
  }
  if (one(TAG.BitsPerSample, 1) !== 1 || one(TAG.SamplesPerPixel, 1) !== 1) {
    throw unsupported('not a bilevel image (BitsPerSample/SamplesPerPixel ≠ 1)');
  }
  if (fields.has(TAG.TileWidth)) throw unsupported('tiled TIFF is not supported');
  const compression = one(TAG.Compression, COMPRESSION.none);
  const scheme = codingScheme(compression, one(TAG.T4Options, 0), unsupported);
  const photometric = one(TAG.Photometric, PHOTOMETRIC_WHITE_IS_ZERO);
  if (photometric !== PHOTOMETRIC_WHITE_IS_ZERO && photometric !== PHOTOMETRIC_BLACK_IS_ZERO) {
    throw unsupported(`photometric interpretation ${photometric} is not bilevel`);
  }
  const fillOrder: FillOrder = one(TAG.FillOrder, 1) === 2 ? 2 : 1;
  const rowsPerStrip = Math.min(one(TAG.RowsPerStrip, height) || height, height);
  const stripCount = Math.ceil(height / rowsPerStrip);
  const offsetsField = fields.get(TAG.StripOffsets);
  if (offsetsField === undefined) throw invalid('StripOffsets missing');
  if (offsetsField.count < stripCount) {
    throw invalid(`${offsetsField.count} strips for ${stripCount} needed`);
  }
  const countsField = fields.get(TAG.StripByteCounts);
  const stripOffsets = tiff.values(offsetsField, stripCount);
  const stripCounts =
    countsField === undefined || countsField.count < stripCount
      ? stripOffsets.map((offset) => tiff.source.length - offset) // lost counts: read to the end
      : tiff.values(countsField, stripCount);
  const unit = one(TAG.ResolutionUnit, RESOLUTION_UNIT.inch);
  return {
    page,
    width,
    height,
    compression,
    scheme,
    photometric,
    fillOrder,
    rowsPerStrip,
    stripOffsets,
    stripCounts,
    xDpi: dpi(tiff, fields, TAG.XResolution, unit),
    yDpi: dpi(tiff, fields, TAG.YResolution, unit),
  };
}

/** Buffers a page-by-page conversion lends to every page: the page's bitmap and strip bytes. */
export interface PageBuffers {
  readonly bitmap: ReadBuffer;
  readonly strip: ReadBuffer;
}

/**
 * Decodes one page of a checked TIFF into a new bitmap, or into `buffers`, which the page then
 * shares until the next page is decoded into them.
 */
export function decodeImage(document: CheckedTiff, layout: PageLayout, buffers?: PageBuffers): TiffImage {
  const { tiff, options, deadline } = document;
  const { page, width, height, scheme, photometric, fillOrder, rowsPerStrip, stripOffsets, stripCounts } =
    layout;
  const limits: CodecLimits = { ...DEFAULT_CODEC_LIMITS, ...options.limits };
  const stripCount = stripOffsets.length;
  const rowBytes = Math.ceil(width / 8);
  const stored = storedRows(tiff.source, layout, buffers?.bitmap);
  if (stored !== null) {
    return {
      bitmap: { width, height, rowBytes, data: stored },
      xDpi: layout.xDpi,
      yDpi: layout.yDpi,
      compression: layout.compression,
      fillOrder,
      quality: { badLines: 0, consecutiveBadLines: 0, problem: undefined },
    };
  }
  // The decoder paints into zeroed rows.
  const data =
    buffers === undefined
      ? new Uint8Array(rowBytes * height)
      : buffers.bitmap.take(rowBytes * height).fill(0);
  const now = options.now;
  const started = now();
  let badLines = 0;
  let consecutive = 0;
  let problem: string | undefined;
  for (let strip = 0; strip < stripCount; strip++) {
    const firstRow = strip * rowsPerStrip;
    const rows = Math.min(rowsPerStrip, height - firstRow);
    const offset = stripOffsets[strip]!;
    if (offset >= tiff.source.length) {
      throw new InvalidImageError(`page ${page}: strip offset beyond end of file`);
    }
    // A byte count past the end is clamped: decode what is there and count the missing rows.
    const end = Math.min(offset + stripCounts[strip]!, tiff.source.length);
    const bytes = tiff.source.bytes(offset, end - offset, buffers?.strip);
    const target = data.subarray(firstRow * rowBytes, (firstRow + rows) * rowBytes);
    if (scheme === null) {
      copyUncompressed(bytes, target, fillOrder);
      if (bytes.length < target.length) problem ??= `strip ${strip + 1} is truncated`;
      continue;
    }
    const remainingMs = Math.min(limits.maxDecodeMs - (now() - started), deadline - now());
    if (remainingMs <= 0) {
      throw new DecodeTimeoutError(`page ${page}: decoding took longer than its time budget`);
    }
    try {
      const result = decodePage(bytes, {
        scheme,
        width,
        height: rows,
        fillOrder,
        allowAnyWidth: options.allowAnyWidth ?? false,
        limits: { ...limits, maxDecodeMs: remainingMs },
        now,
        into: target,
      });
      badLines += result.badLines;
      // Strips are decoded independently; a bad run is counted within its strip.
      consecutive = Math.max(consecutive, result.consecutiveBadLines);
      if (result.problem !== undefined) problem ??= `strip ${strip + 1}: ${result.problem}`;
    } catch (error) {
      throw onPage(error, page);
    }
  }
  if (photometric === PHOTOMETRIC_BLACK_IS_ZERO) invertPixels(data, width, rowBytes);
  else if (scheme === null) clearPadding(data, width, rowBytes);
  return {
    bitmap: { width, height, rowBytes, data },
    xDpi: layout.xDpi,
    yDpi: layout.yDpi,
    compression: layout.compression,
    fillOrder,
    quality: { badLines, consecutiveBadLines: consecutive, problem },
  };
}

/**
 * The page's rows as they are stored, when that is exactly as a Bitmap holds them: a view of a
 * file in memory, or read from a file into `into`. Null when they need fixing up (bit order,
 * inversion, padding bits to clear, gaps between strips, or fewer bytes than rows).
 */
function storedRows(source: TiffSource, layout: PageLayout, into?: ReadBuffer): Uint8Array | null {
  const { width, height, scheme, photometric, fillOrder, rowsPerStrip, stripOffsets, stripCounts } = layout;
  if (scheme !== null || fillOrder !== 1 || photometric !== PHOTOMETRIC_WHITE_IS_ZERO || width % 8 !== 0) {
    return null;
  }
  const rowBytes = width / 8;
  const start = stripOffsets[0]!;
  for (let strip = 0; strip < stripOffsets.length; strip++) {
    const firstRow = strip * rowsPerStrip;
    const rows = Math.min(rowsPerStrip, height - firstRow);
    if (stripOffsets[strip] !== start + firstRow * rowBytes || stripCounts[strip]! < rows * rowBytes)
      return null;
  }
  return start + rowBytes * height <= source.length ? source.bytes(start, rowBytes * height, into) : null;
}

/** The coding scheme of a compression + its options; null for uncompressed data. */
function codingScheme(
  compression: number,
  t4Options: number,
  unsupported: (message: string) => Error,
): CodingScheme | null {
  switch (compression) {
    case COMPRESSION.none:
      return null;
    case COMPRESSION.ccittRle:
      return 'rle';
    case COMPRESSION.t4:
      if (t4Options & T4_UNCOMPRESSED) throw unsupported('T.4 uncompressed mode is not supported');
      return t4Options & T4_2D ? 'mr' : 'mh';
    case COMPRESSION.t6:
      return 'mmr';
    default:
      throw unsupported(`compression ${compression} is not a fax compression`);
  }
}

function dpi(tiff: TiffStructure, fields: Map<number, Field>, tag: number, unit: number): number {
  const field = fields.get(tag);
  if (field === undefined || field.count === 0) return tag === TAG.XResolution ? 204 : 196;
  const value = tiff.value(field, 0);
  return unit === RESOLUTION_UNIT.centimeter ? value * 2.54 : value;
}

function copyUncompressed(bytes: Uint8Array, target: Uint8Array, fillOrder: FillOrder): void {
  const length = Math.min(bytes.length, target.length);
  target.set(bytes.subarray(0, length));
  if (fillOrder === 2) for (let i = 0; i < length; i++) target[i] = BIT_REVERSE[target[i]!]!;
}
