// Converts a TIFF to another fax compression one page at a time, as tiffcp does: each page is
// read and decoded into the same buffers, encoded, and handed out with its IFD before the next
// page is read, so a conversion holds one page whatever the page count (a 350-page fine document
// read whole is 170 MiB of bitmaps) and that page stays in the processor's caches.
import { asFaxPage, checkTiff, decodeImage, type PageBuffers, type TiffReadOptions } from './reader.ts';
import { fileSource, memorySource, ReadBuffer } from './source.ts';
import { TiffPageWriter, type TiffWriteOptions } from './writer.ts';

export interface TiffTranscodeOptions extends TiffReadOptions, TiffWriteOptions {}

/**
 * Writes the pages of a TIFF in the compression of `options` through `write`, in file order.
 * `file` is the TIFF's bytes, or an open file descriptor that is read only where needed, page by
 * page. Reads fax pages only, with readTiff's checks and limits. `write` must be done with a
 * part when it returns (write it out or copy it): an uncompressed page is handed over as the
 * buffer that the next page is read into.
 */
export function transcodeTiff(
  file: Uint8Array | number,
  write: (part: Uint8Array) => void,
  options: TiffTranscodeOptions = {},
): void {
  const source = typeof file === 'number' ? fileSource(file) : memorySource(file);
  const document = checkTiff(source, { ...options, allowAnyWidth: false });
  const writer = new TiffPageWriter(document.layouts.length, options, write);
  const buffers: PageBuffers = { bitmap: new ReadBuffer(), strip: new ReadBuffer() };
  for (const layout of document.layouts) writer.writePage(asFaxPage(decodeImage(document, layout, buffers)));
}
