// PDF from fax pages (G4 images embedded unchanged) and back.
export { writePdf, pageSizePoints, type PdfWriteOptions } from './writer.ts';
export { readFaxPdf, DEFAULT_MAX_PDF_BYTES, type PdfReadOptions } from './reader.ts';
