// Helpers for the render tests: read pixels the way a recipient sees them, and build the inputs
// (PDFs with pdf-lib, images with sharp, zip containers) the tests render.
import { crc32 } from 'node:zlib';
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import sharp from 'sharp';
import { type Bitmap } from '../../../../src/documents/index.ts';

export function isBlack(page: Bitmap, x: number, y: number): boolean {
  return (page.data[y * page.rowBytes + (x >> 3)]! & (0x80 >> (x & 7))) !== 0;
}

/** Fraction of black pixels in the rectangle [x0, x1) × [y0, y1). */
export function blackFraction(page: Bitmap, x0: number, y0: number, x1: number, y1: number): number {
  let black = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (isBlack(page, x, y)) black++;
  return black / Math.max(1, (x1 - x0) * (y1 - y0));
}

export function blackCount(page: Bitmap): number {
  let count = 0;
  for (const byte of page.data) {
    let b = byte;
    while (b !== 0) {
      b &= b - 1;
      count++;
    }
  }
  return count;
}

/** Grey pixels of a bitmap (0 black, 255 white), for handing to sharp. */
export function toGray(page: Bitmap): Buffer {
  const gray = Buffer.alloc(page.width * page.height, 255);
  for (let y = 0; y < page.height; y++)
    for (let x = 0; x < page.width; x++) if (isBlack(page, x, y)) gray[y * page.width + x] = 0;
  return gray;
}

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** An A4 (or given size) PDF whose pages each hold one black rectangle, given in points from the top left. */
export async function pdfWithRectangles(
  rects: readonly Rect[],
  size: [number, number] = [595.28, 841.89],
): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  for (const rect of rects) {
    const page = doc.addPage(size);
    page.drawRectangle({
      x: rect.x,
      y: size[1] - rect.y - rect.height,
      width: rect.width,
      height: rect.height,
      color: rgb(0, 0, 0),
    });
  }
  return doc.save();
}

/** Pages of dense 10 pt Helvetica text, like a letter or an invoice. */
export async function textPdf(pages: number, linesPerPage = 60): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let p = 0; p < pages; p++) {
    const page = doc.addPage([595.28, 841.89]);
    for (let line = 0; line < linesPerPage; line++) {
      const text = `Page ${p + 1}, line ${line + 1}: The quick brown fox jumps over the lazy dog. Invoice 4711, total EUR 1,234.56`;
      page.drawText(text, { x: 56, y: 790 - line * 12.4, size: 10, font });
    }
  }
  return doc.save();
}

/** An RGB photo-like image: smooth gradients and a disc, so every grey level occurs. */
export async function photoJpeg(width: number, height: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const inDisc = Math.hypot(x - width / 2, y - height / 2) < Math.min(width, height) / 4;
      const value = inDisc ? 20 : Math.round((255 * x) / width);
      pixels[i] = value;
      pixels[i + 1] = inDisc ? value : Math.round((255 * y) / height);
      pixels[i + 2] = value;
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** A zip with stored (uncompressed) members, enough for OOXML/ODF detection and for LibreOffice. */
export function zip(members: readonly { name: string; content: string | Uint8Array }[]): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const member of members) {
    const name = Buffer.from(member.name, 'utf8');
    const data = Buffer.from(member.content);
    const crc = crc32(data);
    // Local header and central-directory entry: signature, versions, CRC, sizes, name length, offset.
    const local = record(30, [
      [0, 0x04034b50, 4],
      [4, 20, 2],
      [14, crc, 4],
      [18, data.length, 4],
      [22, data.length, 4],
      [26, name.length, 2],
    ]);
    const central = record(46, [
      [0, 0x02014b50, 4],
      [4, 20, 2],
      [6, 20, 2],
      [16, crc, 4],
      [20, data.length, 4],
      [24, data.length, 4],
      [28, name.length, 2],
      [42, offset, 4],
    ]);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = record(22, [
    [0, 0x06054b50, 4],
    [8, members.length, 2],
    [10, members.length, 2],
    [12, directory.length, 4],
    [16, offset, 4],
  ]);
  return Buffer.concat([...locals, directory, end]);
}

/** A little-endian record of `size` bytes with the given [offset, value, width] fields set. */
function record(size: number, fields: readonly (readonly [number, number, 2 | 4])[]): Buffer {
  const buffer = Buffer.alloc(size);
  for (const [offset, value, width] of fields) {
    if (width === 2) buffer.writeUInt16LE(value, offset);
    else buffer.writeUInt32LE(value, offset);
  }
  return buffer;
}

/** The smallest DOCX Word and LibreOffice open: one paragraph per entry, in large bold type. */
export function minimalDocx(paragraphs: readonly string[]): Uint8Array {
  const body = paragraphs
    .map(
      (text) =>
        `<w:p><w:r><w:rPr><w:b/><w:sz w:val="72"/></w:rPr><w:t xml:space="preserve">${text}</w:t></w:r></w:p>`,
    )
    .join('');
  return zip([
    {
      name: '[Content_Types].xml',
      content:
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    },
    {
      name: '_rels/.rels',
      content:
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    },
    {
      name: 'word/document.xml',
      content:
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">' +
        `<w:body>${body}</w:body></w:document>`,
    },
  ]);
}
