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
export {
  InvalidImageError,
  UnsupportedImageError,
  ImageLimitError,
  DecodeTimeoutError,
  EncryptedDocumentError,
} from './image-errors.ts';
export {
  decodePage,
  encodePage,
  DEFAULT_CODEC_LIMITS,
  DEFAULT_DOCUMENT_LIMITS,
  type DecodeOptions,
  type DecodeResult,
  type EncodeOptions,
  type CodecLimits,
  type DocumentLimits,
  type CodingScheme,
  type FillOrder,
} from './codec/index.ts';
export {
  readTiff,
  readTiffImages,
  writeTiff,
  writeTiffParts,
  transcodeTiff,
  nearestFaxResolution,
  DEFAULT_MAX_PAGES,
  type TiffReadOptions,
  type TiffWriteOptions,
  type TiffTranscodeOptions,
  type TiffImage,
  type TiffCompression,
  type TiffPageInput,
  type DecodedFaxPage,
  type PageQuality,
} from './tiff/index.ts';
export {
  writePdf,
  readFaxPdf,
  pageSizePoints,
  type PdfWriteOptions,
  type PdfReadOptions,
} from './pdf/index.ts';
export {
  DocumentRenderer,
  renderDocument,
  DEFAULT_RENDER_LIMITS,
  type RenderDocumentOptions,
  type RenderedDocument,
  type RenderLimits,
  type DocumentRendererOptions,
} from './render/renderer.ts';
export { detectDocumentType, type DocumentType } from './render/detect.ts';
export { pageGeometry, type PaperSize, type PageGeometry } from './render/geometry.ts';
export { type BitonalMode } from './render/bitonal.ts';
export {
  renderCoverPage,
  renderContinuationCoverPage,
  type CoverPageInfo,
  type ContinuationInfo,
  type CoverPageOptions,
} from './render/cover.ts';
export { stampHeaderLine, type HeaderLine } from './render/header.ts';
export { renderPreviewPng, type PreviewOptions } from './render/preview.ts';
export {
  DocumentRefusedError,
  NothingFaxableError,
  PasswordProtectedError,
  DocumentTooLargeError,
  TooManyPagesError,
  TooManyPixelsError,
  RenderTimeoutError,
  RenderOutOfMemoryError,
  DocumentUnreadableError,
  type RenderRefusalKind,
} from './render/errors.ts';
export { htmlToText } from './render/html.ts';
export { convertOfficeToPdf, type OfficeConversionOptions } from './render/office.ts';
