// Documents: fax pages (1-bit, fax geometry), the T.4/T.6 codec, TIFF Class F, PDF, rendering.
export {
  FAX_RESOLUTIONS,
  FAX_WIDTHS,
  STANDARD_FAX_WIDTH,
  createBitmap,
  bitmapsEqual,
  type Bitmap,
  type FaxPage,
  type FaxResolution,
} from './page.ts';
