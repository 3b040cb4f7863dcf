// DOCX and ODT letters with `{{field}}` placeholders. Word processors often split a placeholder
// over several runs (`{{na` in one `<w:t>`, `me}}` in the next, after a spell-check mark), so the
// template is normalised once: inside every `{{…}}` span the XML tags are removed, leaving the
// placeholder whole in the first run. Each recipient's copy is the same package with the values
// XML-escaped into the main part; LibreOffice (src/documents) turns it into the PDF.
import { strFromU8, strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { compileTemplate, TemplateError, type Template } from '../templates/index.ts';

export type OfficeKind = 'docx' | 'odt';

const MAIN_PART: Record<OfficeKind, string> = { docx: 'word/document.xml', odt: 'content.xml' };
/** A template larger than this when unpacked is refused (a zip bomb, or not a letter). */
const MAX_UNPACKED_BYTES = 64 * 1024 * 1024;

export interface OfficeTemplate {
  readonly kind: OfficeKind;
  readonly fields: readonly string[];
  /** The recipient's copy of the document. */
  render(values: Readonly<Record<string, string | number | undefined>>): Uint8Array;
}

/** The kind of an office template from its content, or undefined when it is not one. */
export function officeKindOf(content: Uint8Array): OfficeKind | undefined {
  if (content[0] !== 0x50 || content[1] !== 0x4b) return undefined; // "PK": a zip package
  const head = Buffer.from(content.subarray(0, 512)).toString('latin1');
  if (head.includes('mimetypeapplication/vnd.oasis.opendocument.text')) return 'odt';
  try {
    const names = Object.keys(unzipSync(content, { filter: (file) => file.name === MAIN_PART.docx }));
    return names.length > 0 ? 'docx' : undefined;
  } catch {
    return undefined;
  }
}

function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

/** Joins placeholders split across runs: the tags inside `{{ … }}` go. */
export function joinSplitPlaceholders(xml: string): string {
  return xml.replace(/\{(<[^>]*>)*\{([\s\S]*?)\}(<[^>]*>)*\}/g, (span) => {
    const inner = span.replace(/<[^>]*>/g, '');
    // Only a real placeholder is rewritten; a brace pair around other content keeps its markup.
    return /^\{\{\s*[A-Za-z_][A-Za-z0-9_.-]*\s*\}\}$/.test(inner) ? inner : span;
  });
}

export function compileOfficeTemplate(
  kind: OfficeKind,
  content: Uint8Array,
  options: { name: string; allowedFields: readonly string[] },
): OfficeTemplate {
  let unpacked: Record<string, Uint8Array>;
  let total = 0;
  try {
    unpacked = unzipSync(content, {
      filter: (file) => {
        total += file.originalSize;
        if (total > MAX_UNPACKED_BYTES)
          throw new TemplateError(`${options.name} unpacks to more than 64 MiB`);
        return true;
      },
    });
  } catch (error) {
    if (error instanceof TemplateError) throw error;
    throw new TemplateError(`${options.name} is not a readable ${kind.toUpperCase()} file`);
  }
  const main = unpacked[MAIN_PART[kind]];
  if (!main)
    throw new TemplateError(`${options.name} has no ${MAIN_PART[kind]}: not a ${kind.toUpperCase()} letter`);
  const template: Template = compileTemplate(joinSplitPlaceholders(strFromU8(main)), {
    allowedFields: options.allowedFields,
    name: options.name,
  });
  return {
    kind,
    fields: template.fields,
    render(values) {
      const escaped = Object.fromEntries(
        Object.entries(values).map(([field, value]) => [field, escapeXml(String(value ?? ''))]),
      );
      const files: Zippable = {};
      for (const [name, bytes] of Object.entries(unpacked)) {
        // ODF wants its mimetype entry first and stored uncompressed.
        files[name] = name === 'mimetype' ? [bytes, { level: 0 }] : bytes;
      }
      files[MAIN_PART[kind]] = strToU8(template.render(escaped));
      return zipSync(files);
    },
  };
}
