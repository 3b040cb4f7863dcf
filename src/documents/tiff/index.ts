// TIFF Class F: multi-page fax TIFF reader and writer, and page-by-page conversion between them.
export {
  readTiff,
  readTiffImages,
  nearestFaxResolution,
  DEFAULT_MAX_PAGES,
  type TiffReadOptions,
  type TiffImage,
  type DecodedFaxPage,
  type PageQuality,
} from './reader.ts';
export {
  writeTiff,
  writeTiffParts,
  type TiffWriteOptions,
  type TiffCompression,
  type TiffPageInput,
} from './writer.ts';
export { transcodeTiff, type TiffTranscodeOptions } from './transcode.ts';
