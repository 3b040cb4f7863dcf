// Type identification from content only: each format's real bytes (made by sharp, pdf-lib, our zip
// writer) are recognised, and names/MIME types never enter into it (the API does not take them).
import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { detectDocumentType } from '../../../../src/documents/index.ts';
import { pdfWithRectangles, zip } from './support.ts';

const tiny = (): Sharp => sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } });

describe('detectDocumentType', () => {
  it('recognises images by their signatures', async () => {
    expect(detectDocumentType(await tiny().png().toBuffer())).toBe('png');
    expect(detectDocumentType(await tiny().jpeg().toBuffer())).toBe('jpeg');
    expect(detectDocumentType(await tiny().gif().toBuffer())).toBe('gif');
    expect(detectDocumentType(await tiny().tiff().toBuffer())).toBe('tiff');
    expect(detectDocumentType(await tiny().webp().toBuffer())).toBe('webp');
  });

  it('recognises a PDF, also behind leading junk as readers accept it', async () => {
    const pdf = await pdfWithRectangles([{ x: 0, y: 0, width: 10, height: 10 }]);
    expect(detectDocumentType(pdf)).toBe('pdf');
    expect(detectDocumentType(Buffer.concat([Buffer.from('X-Junk: mail gateway\r\n'), pdf]))).toBe('pdf');
  });

  it('tells DOCX, XLSX and ODF documents apart by their members, not their extension', () => {
    expect(
      detectDocumentType(
        zip([
          { name: '[Content_Types].xml', content: '<Types/>' },
          { name: 'word/document.xml', content: '<w/>' },
        ]),
      ),
    ).toBe('docx');
    expect(detectDocumentType(zip([{ name: 'xl/workbook.xml', content: '<x/>' }]))).toBe('xlsx');
    const odf = (kind: string): Uint8Array =>
      zip([
        { name: 'mimetype', content: `application/vnd.oasis.opendocument.${kind}` },
        { name: 'content.xml', content: '<x/>' },
      ]);
    expect(detectDocumentType(odf('text'))).toBe('odt');
    expect(detectDocumentType(odf('spreadsheet'))).toBe('ods');
    expect(detectDocumentType(odf('text-template'))).toBe('odt');
    expect(detectDocumentType(odf('graphics'))).toBeUndefined();
    expect(detectDocumentType(zip([{ name: 'photos/cat.jpg', content: 'x' }]))).toBeUndefined();
  });

  it('recognises RTF and OLE2 Word/Excel files', () => {
    expect(detectDocumentType(Buffer.from('{\\rtf1\\ansi Hello}'))).toBe('rtf');
    const ole2 = (stream: string): Buffer =>
      Buffer.concat([
        Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
        Buffer.alloc(504),
        Buffer.from(stream, 'utf16le'),
        Buffer.alloc(64),
      ]);
    expect(detectDocumentType(ole2('WordDocument'))).toBe('doc');
    expect(detectDocumentType(ole2('Workbook'))).toBe('xls');
    expect(detectDocumentType(ole2('PowerPoint Document'))).toBeUndefined();
  });

  it('accepts UTF-8, Windows-1252 and UTF-16 text and tells HTML from text', () => {
    expect(detectDocumentType(Buffer.from('Grüße aus Köln\r\n\tEnde\n', 'utf8'))).toBe('text');
    expect(detectDocumentType(Buffer.from('Gr\xfc\xdfe aus K\xf6ln\n', 'latin1'))).toBe('text');
    expect(
      detectDocumentType(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('hello', 'utf16le')])),
    ).toBe('text');
    expect(detectDocumentType(Buffer.from('<!DOCTYPE html><html><body><p>Hi</p></body></html>'))).toBe(
      'html',
    );
    expect(detectDocumentType(Buffer.from('  <div class="x">Hi</div>'))).toBe('html');
    expect(detectDocumentType(Buffer.from('a < b and c > d, plain text'))).toBe('text');
  });

  it('finds nothing faxable in binary data or empty input', () => {
    const random = Buffer.alloc(4096);
    for (let i = 0; i < random.length; i++) random[i] = (i * 7919 + 13) % 251;
    expect(detectDocumentType(random)).toBeUndefined();
    expect(detectDocumentType(new Uint8Array(0))).toBeUndefined();
    expect(detectDocumentType(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0]))).toBeUndefined();
  });
});
