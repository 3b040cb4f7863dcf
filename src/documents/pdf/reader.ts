// Extracts fax pages back out of a PDF made of CCITT G4 page images (ours, or any PDF built the
// same way, e.g. by tiff2pdf): the image data is decoded with our codec, nothing is rendered.
// A page without such an image is refused, as is an encrypted PDF; limits: bytes, pages, codec.
import {
  EncryptedPDFError,
  PDFArray,
  PDFBool,
  PDFDict,
  PDFDocument,
  PDFName,
  PDFNumber,
  PDFRawStream,
} from 'pdf-lib';
import { type FaxPage } from '../page.ts';
import {
  DecodeTimeoutError,
  EncryptedDocumentError,
  ImageLimitError,
  InvalidImageError,
  UnsupportedImageError,
  onPage,
} from '../image-errors.ts';
import { invertPixels } from '../codec/lines.ts';
import { decodePage, type DecodeResult } from '../codec/decode.ts';
import {
  checkDecodedBytes,
  DEFAULT_CODEC_LIMITS,
  DEFAULT_DOCUMENT_LIMITS,
  type CodecLimits,
  type DocumentLimits,
} from '../codec/options.ts';
import { DEFAULT_MAX_PAGES, nearestFaxResolution, type DecodedFaxPage } from '../tiff/reader.ts';

export interface PdfReadOptions {
  readonly maxPages?: number;
  readonly maxFileBytes?: number;
  readonly limits?: Partial<CodecLimits>;
  readonly documentLimits?: Partial<DocumentLimits>;
}

export const DEFAULT_MAX_PDF_BYTES = 64 * 1024 * 1024;

export async function readFaxPdf(bytes: Uint8Array, options: PdfReadOptions = {}): Promise<DecodedFaxPage[]> {
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_PDF_BYTES;
  if (bytes.length > maxBytes)
    throw new ImageLimitError(`PDF of ${bytes.length} bytes exceeds the limit of ${maxBytes}`);
  let document: PDFDocument;
  try {
    document = await PDFDocument.load(bytes, { updateMetadata: false, throwOnInvalidObject: true });
  } catch (error) {
    // pdf-lib names encryption only sometimes; with AES-256 it fails parsing the encrypted objects.
    if (error instanceof EncryptedPDFError || mentionsEncryption(bytes)) {
      throw new EncryptedDocumentError('the PDF is encrypted (password protected)', { cause: error });
    }
    throw new InvalidImageError(`not a readable PDF: ${(error as Error).message}`, { cause: error });
  }
  if (document.isEncrypted) throw new EncryptedDocumentError('the PDF is encrypted (password protected)');
  const pages = document.getPages();
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  if (pages.length > maxPages)
    throw new ImageLimitError(`PDF has ${pages.length} pages, more than ${maxPages}`);
  // Every page's image is found and its size checked against the document limit first.
  const images = pages.map((page, index) =>
    describeImage(faxImage(page.node.Resources(), index + 1), index + 1),
  );
  const documentLimits = { ...DEFAULT_DOCUMENT_LIMITS, ...options.documentLimits };
  checkDecodedBytes(
    images.reduce((sum, image) => sum + Math.ceil(image.width / 8) * image.height, 0),
    documentLimits,
  );
  const deadline = performance.now() + documentLimits.maxTotalDecodeMs;
  return images.map((image, index) => {
    const limits = { ...DEFAULT_CODEC_LIMITS, ...options.limits };
    const remainingMs = Math.min(limits.maxDecodeMs, deadline - performance.now());
    if (remainingMs <= 0) {
      throw new DecodeTimeoutError(`page ${image.page}: decoding took longer than its time budget`);
    }
    const result = decodeImage(image, { ...limits, maxDecodeMs: remainingMs });
    const yDpi = (result.bitmap.height * 72) / pages[index]!.getHeight();
    return {
      ...result.bitmap,
      resolution: nearestFaxResolution(yDpi),
      quality: {
        badLines: result.badLines,
        consecutiveBadLines: result.consecutiveBadLines,
        problem: result.problem,
      },
    } satisfies FaxPage & DecodedFaxPage;
  });
}

function faxImage(resources: PDFDict | undefined, page: number): PDFRawStream {
  const xObjects = resources?.lookupMaybe(PDFName.of('XObject'), PDFDict);
  for (const [, ref] of xObjects?.entries() ?? []) {
    const object = xObjects!.context.lookup(ref);
    if (!(object instanceof PDFRawStream)) continue;
    const filter = object.dict.lookup(PDFName.of('Filter'));
    const isFax =
      filter === PDFName.of('CCITTFaxDecode') ||
      (filter instanceof PDFArray &&
        filter.size() === 1 &&
        filter.lookup(0) === PDFName.of('CCITTFaxDecode'));
    if (isFax) return object;
  }
  throw new UnsupportedImageError(`page ${page} of the PDF is not a fax image (no CCITT image on it)`);
}

interface FaxImage {
  readonly page: number;
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** Whether the shown picture is the decoded one inverted (BlackIs1, or a [1 0] Decode array). */
  readonly inverted: boolean;
}

function describeImage(image: PDFRawStream, page: number): FaxImage {
  const dict = image.dict;
  let parms = dict.lookup(PDFName.of('DecodeParms'));
  if (parms instanceof PDFArray) parms = parms.lookup(0);
  const param = (key: string, fallback: number): number => {
    const value = parms instanceof PDFDict ? parms.lookup(PDFName.of(key)) : undefined;
    return value instanceof PDFNumber ? value.asNumber() : fallback;
  };
  const flag = (key: string): boolean => {
    const value = parms instanceof PDFDict ? parms.lookup(PDFName.of(key)) : undefined;
    return value instanceof PDFBool && value.asBoolean();
  };
  if (param('K', 0) >= 0) {
    throw new UnsupportedImageError(`page ${page}: only G4 (K < 0) fax images are read from PDFs`);
  }
  if (flag('EncodedByteAlign'))
    throw new UnsupportedImageError(`page ${page}: byte-aligned G4 is not supported`);
  const heightEntry = dict.lookup(PDFName.of('Height'));
  const decode = dict.lookup(PDFName.of('Decode'));
  const decodeFlipped =
    decode instanceof PDFArray &&
    decode.lookup(0) instanceof PDFNumber &&
    (decode.lookup(0) as PDFNumber).asNumber() === 1;
  return {
    page,
    data: image.contents,
    width: param('Columns', 1728),
    height: param('Rows', heightEntry instanceof PDFNumber ? heightEntry.asNumber() : 0),
    inverted: flag('BlackIs1') !== decodeFlipped,
  };
}

function decodeImage(image: FaxImage, limits: CodecLimits): DecodeResult {
  try {
    const result = decodePage(image.data, {
      scheme: 'mmr',
      width: image.width,
      height: image.height,
      limits,
    });
    if (image.inverted) invertPixels(result.bitmap.data, image.width, result.bitmap.rowBytes);
    return result;
  } catch (error) {
    throw onPage(error, image.page);
  }
}

/** An /Encrypt entry in a trailer or cross-reference stream dictionary (both stay unencrypted). */
function mentionsEncryption(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes('/Encrypt');
}
