// Raster images (PNG, JPEG, GIF, TIFF, WebP) to fax pages with sharp: EXIF orientation applied,
// transparency flattened onto white paper, landscape turned to portrait, every TIFF page / GIF
// frame a fax page. Each page's header is read before its pixels, so a decompression bomb is
// refused in microseconds; libvips also enforces the pixel limit and a time limit while decoding.
import sharp, { type Metadata } from 'sharp';
import { createBitmap, type FaxPage } from '../page.ts';
import { drawGray, type BitonalMode } from './bitonal.ts';
import {
  DocumentUnreadableError,
  RenderTimeoutError,
  TooManyPagesError,
  TooManyPixelsError,
} from './errors.ts';
import { detectDocumentType } from './detect.ts';
import { renderFaxTiff } from './fax-pages.ts';
import { fitToPage, type PageGeometry, type RenderedPages } from './geometry.ts';

/** Quarter-inch margins: inside what every fax machine prints, so nothing of the image is cut. */
const IMAGE_MARGIN_IN = 0.25;

export interface ImageRenderOptions {
  readonly name: string;
  readonly geometry: PageGeometry;
  readonly mode: BitonalMode;
  readonly maxPages: number;
  readonly maxPixels: number;
  /** When the whole attachment must be done (epoch milliseconds). */
  readonly deadline: number;
}

export async function renderImage(bytes: Uint8Array, options: ImageRenderOptions): Promise<RenderedPages> {
  const { name } = options;
  if (detectDocumentType(bytes) === 'tiff') {
    const fax = renderFaxTiff(bytes, options.geometry, options.maxPages);
    if (fax !== undefined) return fax;
  }
  const first = await readHeader(bytes, 0, name);
  const count = first.pages ?? 1;
  if (count > options.maxPages) throw new TooManyPagesError(name, count, options.maxPages);
  const pages: FaxPage[] = [];
  const rotatedPages: number[] = [];
  for (let index = 0; index < count; index++) {
    const header = index === 0 ? first : await readHeader(bytes, index, name);
    // GIF/WebP frames share one canvas; a TIFF page has its own size.
    const height = header.pageHeight ?? header.height;
    if (header.width * height > options.maxPixels) {
      throw new TooManyPixelsError(
        name,
        header.width,
        height,
        options.maxPixels,
        count > 1 ? index + 1 : undefined,
      );
    }
    const { page, rotated } = await renderImagePage(bytes, index, header, options);
    pages.push(page);
    if (rotated) rotatedPages.push(index + 1);
  }
  return { pages, rotatedPages };
}

async function readHeader(bytes: Uint8Array, page: number, name: string): Promise<Metadata> {
  try {
    return await sharp(bytes, { page, limitInputPixels: false }).metadata();
  } catch (error) {
    throw new DocumentUnreadableError(
      name,
      'the image header is damaged',
      page > 0 ? page + 1 : undefined,
      error,
    );
  }
}

async function renderImagePage(
  bytes: Uint8Array,
  index: number,
  header: Metadata,
  options: ImageRenderOptions,
): Promise<{ page: FaxPage; rotated: boolean }> {
  const { geometry, name } = options;
  const swapped = (header.orientation ?? 1) >= 5;
  const frameHeight = header.pageHeight ?? header.height;
  const [width, height] = swapped ? [frameHeight, header.width] : [header.width, frameHeight];
  // Pixels are taken as square: only the aspect ratio matters, the image is scaled to fill the page.
  const place = fitToPage(geometry, width, height, { marginIn: IMAGE_MARGIN_IN, verticalAlign: 'top' });
  const secondsLeft = Math.max(1, Math.ceil((options.deadline - Date.now()) / 1000));
  let pipeline = sharp(bytes, { page: index, limitInputPixels: options.maxPixels, failOn: 'error' })
    .timeout({ seconds: secondsLeft })
    .autoOrient();
  if (place.rotate) pipeline = pipeline.rotate(90);
  try {
    const { data, info } = await pipeline
      .flatten({ background: '#ffffff' })
      .resize(place.width, place.height, { fit: 'fill', kernel: 'lanczos3' })
      .toColourspace('b-w')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const out = createBitmap(geometry.width, geometry.height);
    const gray = { width: info.width, height: info.height, stride: info.width * info.channels, data };
    if (info.channels !== 1) throw new Error(`expected one grey channel, got ${info.channels}`);
    drawGray(out, gray, place.x, place.y, options.mode);
    return { page: { ...out, resolution: geometry.resolution }, rotated: place.rotate };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const page = header.pages !== undefined && header.pages > 1 ? index + 1 : undefined;
    if (message.includes('timeout')) throw new RenderTimeoutError(name, secondsLeft * 1000);
    if (message.includes('pixel limit'))
      throw new TooManyPixelsError(name, width, height, options.maxPixels, page);
    throw new DocumentUnreadableError(name, 'the image data is damaged', page, error);
  }
}
