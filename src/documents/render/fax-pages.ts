// Documents that already are fax pages — fax TIFFs (bilevel, 1728 px: what fax machines, HylaFAX
// and ghostscript's tiffg3/tiffg4 write) and PDFs of G4 page images (ours, tiff2pdf's) — are
// decoded with our own codec and placed 1:1, only re-sampled vertically when their resolution
// differs from the one being sent: a forwarded fax loses nothing, and is not rendered at all.
// Anything else returns undefined and takes the general path (sharp for images, PDFium for PDFs).
import { FAX_RESOLUTIONS, STANDARD_FAX_WIDTH, createBitmap, type Bitmap, type FaxPage } from '../page.ts';
import { readFaxPdf } from '../pdf/index.ts';
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
  // Class F files without resolution tags are standard resolution by the spec's default.
  return {
    pages: images.map((image) => resample(image.bitmap, image.yDpi > 0 ? image.yDpi : 98, geometry)),
    rotatedPages: [],
  };
}

export async function renderFaxPdf(
  bytes: Uint8Array,
  geometry: PageGeometry,
  maxPages: number,
): Promise<RenderedPages | undefined> {
  // Only a PDF with CCITT images can be one; parsing every PDF with pdf-lib would cost time.
  if (Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).indexOf('/CCITTFaxDecode') < 0)
    return undefined;
  try {
    const pages = await readFaxPdf(bytes, { maxPages, maxFileBytes: bytes.length });
    if (pages.some((page) => page.width !== STANDARD_FAX_WIDTH)) return undefined;
    return {
      pages: pages.map((page) => resample(page, FAX_RESOLUTIONS[page.resolution].yDpi, geometry)),
      rotatedPages: [],
    };
  } catch {
    // Mixed content, encryption, damage: PDFium renders it or says precisely what is wrong.
    return undefined;
  }
}

/** Maps rows to the target resolution (nearest row) and pads short pages to the paper length. */
function resample(source: Bitmap, sourceYDpi: number, geometry: PageGeometry): FaxPage {
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
