// A fax page as every part of faxswitch sees it: a 1-bit bitmap at exact fax geometry. Decision 4:
// SpanDSP 0.0.6 refuses pages that are not 1728 px wide, so renderers always produce this shape
// and the codec, TIFF and PDF modules take and return it.

/** Vertical resolutions a fax can carry; horizontal is always 204 dpi (8 dots/mm). */
export const FAX_RESOLUTIONS = {
  standard: { xDpi: 204, yDpi: 98 },
  fine: { xDpi: 204, yDpi: 196 },
  superfine: { xDpi: 204, yDpi: 391 },
} as const;

export type FaxResolution = keyof typeof FAX_RESOLUTIONS;

/** The only widths a fax terminal accepts: A4/Letter (1728), B4 (2048), A3 (2432) at 204 dpi. */
export const FAX_WIDTHS = [1728, 2048, 2432] as const;
export const STANDARD_FAX_WIDTH = 1728;

/**
 * A 1-bit image, rows top to bottom, each row packed MSB first into `rowBytes` bytes
 * (`rowBytes = ceil(width / 8)`), 1 = black — the photometric convention of fax (WhiteIsZero).
 */
export interface Bitmap {
  readonly width: number;
  readonly height: number;
  readonly rowBytes: number;
  readonly data: Uint8Array;
}

export interface FaxPage extends Bitmap {
  readonly resolution: FaxResolution;
}

export function createBitmap(width: number, height: number): Bitmap {
  const rowBytes = Math.ceil(width / 8);
  return { width, height, rowBytes, data: new Uint8Array(rowBytes * height) };
}

/** Byte-for-byte equality of two bitmaps' pixels (padding bits beyond `width` must be zero). */
export function bitmapsEqual(a: Bitmap, b: Bitmap): boolean {
  if (a.width !== b.width || a.height !== b.height) return false;
  const length = a.rowBytes * a.height;
  for (let i = 0; i < length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}
