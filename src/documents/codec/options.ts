// Shared option and result types of the codec, and the limits every decode is held to.
import { FAX_WIDTHS } from '../page.ts';
import { ImageLimitError } from '../image-errors.ts';

/**
 * `mh` T.4 one-dimensional (Modified Huffman, EOL per line), `mr` T.4 two-dimensional (Modified
 * READ, EOL + tag bit per line), `mmr` T.6 (no EOLs, EOFB at the end), `rle` TIFF compression 2
 * (Modified Huffman without EOLs, every line byte aligned).
 */
export type CodingScheme = 'mh' | 'mr' | 'mmr' | 'rle';

/** TIFF FillOrder: 1 = most significant bit first (the norm), 2 = least significant first. */
export type FillOrder = 1 | 2;

export interface CodecLimits {
  /** Largest page height accepted (rows); an unknown-height stream longer than this is refused. */
  readonly maxHeight: number;
  /** Largest compressed input accepted for one page. */
  readonly maxInputBytes: number;
  /** Wall-clock budget for decoding one page. */
  readonly maxDecodeMs: number;
  /** Widest page accepted when `allowAnyWidth` is set (other widths than the fax widths). */
  readonly maxWidth: number;
}

/** 8000 rows is a 1.0 m page at fine or 0.5 m at superfine: far beyond any real fax page. */
export const DEFAULT_CODEC_LIMITS: CodecLimits = {
  maxHeight: 8000,
  maxInputBytes: 16 * 1024 * 1024,
  maxDecodeMs: 2000,
  maxWidth: 10_000,
};

/**
 * Whole-document limits: the bitmaps of all pages together (350 fine A4 pages are ≈ 170 MiB), and
 * the time for all pages, so that 350 hostile pages cannot each use their full page budget.
 */
export interface DocumentLimits {
  readonly maxDecodedBytes: number;
  readonly maxTotalDecodeMs: number;
}

export const DEFAULT_DOCUMENT_LIMITS: DocumentLimits = {
  maxDecodedBytes: 256 * 1024 * 1024,
  maxTotalDecodeMs: 20_000,
};

/** Refuses a document whose pages would decode to more than the limit, before decoding any. */
export function checkDecodedBytes(bytes: number, limits: DocumentLimits): void {
  if (bytes > limits.maxDecodedBytes) {
    const mib = (value: number): string => `${Math.round(value / (1024 * 1024))} MiB`;
    throw new ImageLimitError(
      `the pages would decode to ${mib(bytes)}, more than the limit of ${mib(limits.maxDecodedBytes)}`,
    );
  }
}

/** Rows decoded between two checks of the clock. */
export const ROWS_PER_TIME_CHECK = 32;

export function checkWidth(width: number, allowAnyWidth: boolean, limits: CodecLimits): void {
  if (!Number.isInteger(width) || width < 1) throw new ImageLimitError(`invalid page width ${width}`);
  if (allowAnyWidth) {
    if (width > limits.maxWidth) {
      throw new ImageLimitError(`page width ${width} exceeds the limit of ${limits.maxWidth} pixels`);
    }
  } else if (!(FAX_WIDTHS as readonly number[]).includes(width)) {
    throw new ImageLimitError(`page width ${width} is not a fax width (${FAX_WIDTHS.join(', ')})`);
  }
}

export function checkHeight(height: number, limits: CodecLimits): void {
  if (!Number.isInteger(height) || height < 1) throw new ImageLimitError(`invalid page height ${height}`);
  if (height > limits.maxHeight) {
    throw new ImageLimitError(`page height ${height} exceeds the limit of ${limits.maxHeight} rows`);
  }
}
