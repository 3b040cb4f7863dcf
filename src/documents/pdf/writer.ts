// Builds a PDF from fax pages: each page is one CCITTFaxDecode image XObject holding the page's
// T.6 (G4) data exactly as our encoder wrote it (decision 4: G3 in PDF renders wrongly in pdf.js),
// drawn over the whole page. The page size comes from the pixels and the fax resolution, so a
// 1728-pixel row at 204 dpi is 8.47 in wide and a renderer at the fax dpi maps pixels 1:1.
import { PDFDocument } from 'pdf-lib';
import { FAX_RESOLUTIONS, type FaxPage } from '../page.ts';
import { encodePage } from '../codec/encode.ts';

export interface PdfWriteOptions {
  readonly title?: string;
  /** Creation and modification date; pdf-lib uses "now" when absent. */
  readonly date?: Date;
  readonly producer?: string;
}

/** Page size in PDF points (1/72 in) of a fax page. */
export function pageSizePoints(page: FaxPage): { width: number; height: number } {
  const { xDpi, yDpi } = FAX_RESOLUTIONS[page.resolution];
  return { width: roundDown((page.width * 72) / xDpi), height: roundDown((page.height * 72) / yDpi) };
}

export async function writePdf(
  pages: readonly FaxPage[],
  options: PdfWriteOptions = {},
): Promise<Uint8Array> {
  const document = await PDFDocument.create({ updateMetadata: false });
  document.setProducer(options.producer ?? 'faxswitch');
  if (options.title !== undefined) document.setTitle(options.title);
  if (options.date !== undefined) {
    document.setCreationDate(options.date);
    document.setModificationDate(options.date);
  }
  const context = document.context;
  for (const page of pages) {
    const image = context.stream(encodePage(page, { scheme: 'mmr' }), {
      Type: 'XObject',
      Subtype: 'Image',
      Width: page.width,
      Height: page.height,
      ColorSpace: 'DeviceGray',
      BitsPerComponent: 1,
      Filter: 'CCITTFaxDecode',
      // K < 0: pure two-dimensional T.6. BlackIs1 false: decoded black is 0, which DeviceGray
      // shows as black — the same picture as our 1 = black bitmap.
      DecodeParms: { K: -1, Columns: page.width, Rows: page.height, BlackIs1: false },
    });
    const { width, height } = pageSizePoints(page);
    const pdfPage = document.addPage([width, height]);
    const name = pdfPage.node.newXObject('FaxPage', context.register(image));
    const drawing = `q ${width} 0 0 ${height} 0 0 cm ${name.asString()} Do Q`;
    pdfPage.node.addContentStream(context.register(context.stream(drawing)));
  }
  return document.save({ useObjectStreams: false });
}

/**
 * Four decimals, rounded down: renderers size the bitmap as ceil(points × dpi / 72), and an
 * exact 609.88235294… can come out as 1728.0000001 → 1729 pixels. A hair smaller keeps 1728.
 */
function roundDown(points: number): number {
  return Math.floor(points * 1e4) / 1e4;
}
