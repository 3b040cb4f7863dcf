// Fax TIFFs (bilevel, 1728 px wide: what fax machines, HylaFAX and ghostscript's tiffg3/tiffg4
// write) are already fax pages: decoded with our own codec and placed 1:1, only re-sampled
// vertically when their resolution differs from the one being sent. Anything else — colour,
// grey, other widths, codecs we do not read — returns undefined and goes through sharp instead.
import { STANDARD_FAX_WIDTH, createBitmap, type FaxPage } from '../page.ts';
import { readTiffImages, type TiffImage } from '../tiff/index.ts';
import { type PageGeometry, type RenderedPages } from './geometry.ts';

export function renderFaxTiff(
  bytes: Uint8Array,
  geometry: PageGeometry,
  maxPages: number,
): RenderedPages | undefined {
  let images: TiffImage[];
  try {
    images = readTiffImages(bytes, { maxPages, maxFileBytes: bytes.length });
  } catch {
    // Not a fax TIFF we decode ourselves; libvips gets its turn (with its own limits).
    return undefined;
  }
  if (images.some((image) => image.bitmap.width !== STANDARD_FAX_WIDTH)) return undefined;
  return { pages: images.map((image) => resample(image, geometry)), rotatedPages: [] };
}

/** Maps rows to the target resolution (nearest row) and pads short pages to the paper length. */
function resample(image: TiffImage, geometry: PageGeometry): FaxPage {
  const source = image.bitmap;
  // Class F files without resolution tags are standard resolution by the spec's default.
  const sourceYDpi = image.yDpi > 0 ? image.yDpi : 98;
  const scale = Math.abs(sourceYDpi - geometry.yDpi) / geometry.yDpi < 0.05 ? 1 : geometry.yDpi / sourceYDpi;
  const rows = Math.round(source.height * scale);
  const out = createBitmap(geometry.width, Math.max(rows, geometry.height));
  for (let y = 0; y < rows; y++) {
    const from = Math.min(source.height - 1, Math.floor(y / scale));
    out.data.set(
      source.data.subarray(from * source.rowBytes, (from + 1) * source.rowBytes),
      y * out.rowBytes,
    );
  }
  return { ...out, resolution: geometry.resolution };
}
