// Rendering attachments into fax pages: type detection, PDF/image/text/office renderers in isolated
// workers, cover pages, the send-time header line and previews.
export {
  DocumentRenderer,
  renderDocument,
  DEFAULT_RENDER_LIMITS,
  type RenderDocumentOptions,
  type RenderedDocument,
  type RenderLimits,
  type DocumentRendererOptions,
} from './renderer.ts';
export { detectDocumentType, type DocumentType } from './detect.ts';
export { pageGeometry, type PaperSize, type PageGeometry } from './geometry.ts';
export { type BitonalMode } from './bitonal.ts';
export {
  renderCoverPage,
  renderContinuationCoverPage,
  type CoverPageInfo,
  type ContinuationInfo,
  type CoverPageOptions,
} from './cover.ts';
export { stampHeaderLine, type HeaderLine } from './header.ts';
export { renderPreviewPng, type PreviewOptions } from './preview.ts';
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
} from './errors.ts';
