// Identifies what an attachment is from its bytes alone — never from its file name or MIME header,
// which senders get wrong and attackers choose. Reads at most the first KiB, the zip central
// directory (capped entry count) or the OLE2 directory names; anything else is "nothing faxable".

export type DocumentType =
  | 'pdf'
  | 'png'
  | 'jpeg'
  | 'gif'
  | 'tiff'
  | 'webp'
  | 'text'
  | 'html'
  | 'rtf'
  | 'docx'
  | 'xlsx'
  | 'pptx'
  | 'odt'
  | 'ods'
  | 'odp'
  | 'doc'
  | 'xls';

/** How a type is rendered: office documents become PDF first, HTML becomes text. */
export type DocumentFamily = 'pdf' | 'image' | 'text' | 'html' | 'office';

export function documentFamily(type: DocumentType): DocumentFamily {
  switch (type) {
    case 'pdf':
      return 'pdf';
    case 'png':
    case 'jpeg':
    case 'gif':
    case 'tiff':
    case 'webp':
      return 'image';
    case 'text':
    case 'html':
      return type;
    default:
      return 'office';
  }
}

const MAX_ZIP_ENTRIES = 10_000;
const SNIFF_BYTES = 1024;

/** The document type of `bytes`, or undefined when nothing we can fax is recognised. */
export function detectDocumentType(bytes: Uint8Array): DocumentType | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWithAscii(bytes, 'GIF87a') || startsWithAscii(bytes, 'GIF89a')) return 'gif';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]))
    return 'tiff';
  if (startsWithAscii(bytes, 'RIFF') && ascii(bytes, 8, 4) === 'WEBP') return 'webp';
  if (startsWithAscii(bytes, '{\\rtf')) return 'rtf';
  // A PDF header may follow junk (mail gateways, print drivers); readers accept it within 1 KiB.
  if (indexOfAscii(bytes, '%PDF-', SNIFF_BYTES) >= 0) return 'pdf';
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return zipDocumentType(bytes);
  if (startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return ole2DocumentType(bytes);
  const text = decodeText(bytes);
  if (text === undefined) return undefined;
  return looksLikeHtml(text) ? 'html' : 'text';
}

/**
 * Decodes bytes that look like human text: UTF-16 with a BOM, UTF-8 (with or without BOM), else
 * Windows-1252 (Latin-1's superset that mail clients actually send). Undefined for binary data.
 */
export function decodeText(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return undefined;
  let text: string;
  if (startsWith(bytes, [0xff, 0xfe])) text = new TextDecoder('utf-16le').decode(bytes.subarray(2));
  else if (startsWith(bytes, [0xfe, 0xff])) text = new TextDecoder('utf-16be').decode(bytes.subarray(2));
  else {
    if (bytes.includes(0)) return undefined;
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    } catch {
      text = new TextDecoder('windows-1252').decode(bytes);
    }
  }
  return isMostlyPrintable(text) ? text : undefined;
}

function isMostlyPrintable(text: string): boolean {
  const sample = text.length > 64 * 1024 ? text.slice(0, 64 * 1024) : text;
  let control = 0;
  for (let i = 0; i < sample.length; i++) {
    const code = sample.charCodeAt(i);
    // Tab, LF, FF, CR and ESC-free text; anything else below 0x20 (or U+FFFD) marks binary.
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0c && code !== 0x0d) || code === 0xfffd)
      control++;
  }
  return control <= sample.length / 100;
}

function looksLikeHtml(text: string): boolean {
  const head = text
    .slice(0, SNIFF_BYTES)
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase();
  if (/^<(!doctype html|html|head|body|!--)/.test(head)) return true;
  return (
    /<html[\s>]/.test(head) ||
    (/^<(div|p|table|meta|span|br|h[1-6])[\s>/]/.test(head) && /<\/[a-z]+>/.test(head))
  );
}

/** OOXML and OpenDocument are zips; the member names (and ODF's `mimetype`) say which. */
function zipDocumentType(bytes: Uint8Array): DocumentType | undefined {
  const entries = zipEntries(bytes);
  if (entries === undefined) return undefined;
  const names = new Set(entries.map((entry) => entry.name));
  if (names.has('word/document.xml')) return 'docx';
  if (names.has('xl/workbook.xml')) return 'xlsx';
  if (names.has('ppt/presentation.xml')) return 'pptx';
  const mimetype = entries.find((entry) => entry.name === 'mimetype');
  if (mimetype === undefined || mimetype.method !== 0) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const local = mimetype.localHeaderOffset;
  if (local + 30 > bytes.length || view.getUint32(local, true) !== 0x04034b50) return undefined;
  const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
  const value = ascii(bytes, start, Math.min(mimetype.size, 100));
  // Variants share the prefix: text-template (.ott), text-web (HTML saved by Writer), text-master.
  const kind = /^application\/vnd\.oasis\.opendocument\.(text|spreadsheet|presentation)(-[a-z]+)?$/.exec(
    value,
  )?.[1];
  if (kind === 'text') return 'odt';
  if (kind === 'spreadsheet') return 'ods';
  if (kind === 'presentation') return 'odp';
  return undefined;
}

interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

function zipEntries(bytes: Uint8Array): ZipEntry[] | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end-of-central-directory record sits in the last 22 bytes plus at most a 64 KiB comment.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return undefined;
  const count = Math.min(view.getUint16(eocd + 10, true), MAX_ZIP_ENTRIES);
  let offset = view.getUint32(eocd + 16, true);
  const entries: ZipEntry[] = [];
  const utf8 = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (offset + 46 > bytes.length || view.getUint32(offset, true) !== 0x02014b50) return undefined;
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    if (offset + 46 + nameLength > bytes.length) return undefined;
    entries.push({
      name: utf8.decode(bytes.subarray(offset + 46, offset + 46 + nameLength)),
      method: view.getUint16(offset + 10, true),
      size: view.getUint32(offset + 24, true),
      localHeaderOffset: view.getUint32(offset + 42, true),
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Word and Excel 97–2003 files are OLE2 compound files; the stream names in the directory say which. */
function ole2DocumentType(bytes: Uint8Array): DocumentType | undefined {
  // Directory entries store names in UTF-16LE; looking for the stream name in the (bounded) file
  // is enough to tell the formats apart without walking the FAT chain.
  const haystack = bytes.subarray(0, Math.min(bytes.length, 8 * 1024 * 1024));
  if (indexOfUtf16(haystack, 'WordDocument') >= 0) return 'doc';
  if (indexOfUtf16(haystack, 'Workbook') >= 0 || indexOfUtf16(haystack, 'Book') >= 0) return 'xls';
  return undefined;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  if (bytes.length < prefix.length) return false;
  return prefix.every((value, i) => bytes[i] === value);
}

function startsWithAscii(bytes: Uint8Array, prefix: string): boolean {
  return ascii(bytes, 0, prefix.length) === prefix;
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(start, Math.min(bytes.length, start + length)));
}

function indexOfAscii(bytes: Uint8Array, needle: string, within: number): number {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, within)).indexOf(
    needle,
    0,
    'latin1',
  );
}

function indexOfUtf16(bytes: Uint8Array, needle: string): number {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).indexOf(Buffer.from(needle, 'utf16le'));
}
