// PNG thumbnails of fax pages for status emails and the console. Fax pixels are not square
// (standard resolution rows are twice as tall as columns are wide), so the thumbnail's height
// comes from the page's physical size, not its pixel count.
import sharp from 'sharp';
import { FAX_RESOLUTIONS, type FaxPage } from '../page.ts';

export interface PreviewOptions {
  /** Thumbnail width in pixels (default 400). */
  readonly width?: number;
}

/** Eight grey bytes per bitmap byte: 1 (black) → 0, 0 (white) → 255. */
const EXPAND = new Uint8Array(256 * 8);
for (let byte = 0; byte < 256; byte++) {
  for (let bit = 0; bit < 8; bit++) EXPAND[byte * 8 + bit] = byte & (0x80 >> bit) ? 0 : 255;
}

export async function renderPreviewPng(page: FaxPage, options: PreviewOptions = {}): Promise<Buffer> {
  const width = options.width ?? 400;
  const { xDpi, yDpi } = FAX_RESOLUTIONS[page.resolution];
  const height = Math.max(1, Math.round((width * (page.height / yDpi)) / (page.width / xDpi)));
  const gray = Buffer.alloc(page.rowBytes * 8 * page.height);
  for (let i = 0; i < page.rowBytes * page.height; i++)
    gray.set(EXPAND.subarray(page.data[i]! * 8, page.data[i]! * 8 + 8), i * 8);
  return sharp(gray, { raw: { width: page.rowBytes * 8, height: page.height, channels: 1 } })
    .extract({ left: 0, top: 0, width: page.width, height: page.height })
    .resize(width, height, { fit: 'fill' })
    .png({ compressionLevel: 9, palette: false })
    .toBuffer();
}
