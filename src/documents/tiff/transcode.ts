// Converts a TIFF to another fax compression one page at a time, as tiffcp does: each page is
// decoded into one reused bitmap, encoded, and handed out with its IFD before the next page is
// read, so a conversion holds one page whatever the page count (a 350-page fine document read
// whole is 170 MiB of bitmaps) and that page stays in the processor's caches.
import { asFaxPage, checkTiff, bitmapBytes, decodeImage, type TiffReadOptions } from './reader.ts';
import { TiffPageWriter, type TiffWriteOptions } from './writer.ts';

export interface TiffTranscodeOptions extends TiffReadOptions, TiffWriteOptions {}

/**
 * Writes the pages of `file` in the compression of `options` through `write`, in file order.
 * Reads fax pages only, with readTiff's checks and limits. `write` must be done with a part
 * when it returns (write it out or copy it): an uncompressed page is handed over as the bitmap
 * that the next page is decoded into.
 */
export function transcodeTiff(
  file: Uint8Array,
  write: (part: Uint8Array) => void,
  options: TiffTranscodeOptions = {},
): void {
  const document = checkTiff(file, { ...options, allowAnyWidth: false });
  const writer = new TiffPageWriter(document.layouts.length, options, write);
  const scratch = new Uint8Array(Math.max(...document.layouts.map(bitmapBytes)));
  for (const layout of document.layouts) writer.writePage(asFaxPage(decodeImage(document, layout, scratch)));
}
