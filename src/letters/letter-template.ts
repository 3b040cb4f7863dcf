// A serial letter's template, and each recipient's copy of it. Markdown and HTML templates become
// an HTML letter (the email body as written) and a PDF laid out from it; DOCX and ODT templates keep
// their own layout and are converted by LibreOffice. Placeholders are checked against the recipient
// list's columns when the campaign is submitted, so a typo never reaches a recipient.
import { marked } from 'marked';
import { convertOfficeToPdf, htmlToText } from '../documents/index.ts';
import { compileTemplate, TemplateError, type Template } from '../templates/index.ts';
import { htmlToBlocks } from './letter-html.ts';
import { writeLetterPdf, type LetterPaper } from './letter-pdf.ts';
import { compileOfficeTemplate, officeKindOf, type OfficeTemplate } from './office-template.ts';

export type LetterKind = 'markdown' | 'html' | 'docx' | 'odt';

/** One recipient's letter. */
export interface PersonalisedLetter {
  /** The letter as an HTML email body; undefined for office templates (sent as the PDF). */
  readonly html: string | undefined;
  /** A plain-text rendition (the email's text part). */
  readonly text: string;
  readonly pdf: Uint8Array;
}

export interface LetterTemplate {
  readonly kind: LetterKind;
  readonly name: string;
  readonly fields: readonly string[];
  personalise(values: Readonly<Record<string, string>>): Promise<PersonalisedLetter>;
}

export interface LetterTemplateOptions {
  readonly name: string;
  /** The columns of the recipient list: the only fields a placeholder may name. */
  readonly allowedFields: readonly string[];
  readonly paper?: LetterPaper;
  /** LibreOffice's time for one office letter. */
  readonly officeTimeoutMs?: number;
  /** The date printed into PDFs' metadata (one per campaign, so resends are identical). */
  readonly date?: Date;
}

const MAX_TEMPLATE_BYTES = 10 * 1024 * 1024;

/** Markdown, HTML, DOCX or ODT, told apart by content and then by name. */
export function letterKindOf(name: string, content: Uint8Array): LetterKind {
  const office = officeKindOf(content);
  if (office) return office;
  const head = Buffer.from(content.subarray(0, 1024)).toString('utf8').trimStart().toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html') || /\.html?$/i.test(name)) return 'html';
  if (/^<(p|div|h[1-6]|table|body)\b/.test(head)) return 'html';
  return 'markdown';
}

export function compileLetterTemplate(content: Uint8Array, options: LetterTemplateOptions): LetterTemplate {
  if (content.length > MAX_TEMPLATE_BYTES) throw new TemplateError(`${options.name} is larger than 10 MiB`);
  const kind = letterKindOf(options.name, content);
  if (kind === 'docx' || kind === 'odt')
    return officeLetter(compileOfficeTemplate(kind, content, options), options);
  const source = Buffer.from(content).toString('utf8');
  if (source.includes('\uFFFD')) throw new TemplateError(`${options.name} is not UTF-8 text`);
  // Markdown first becomes HTML with its placeholders intact; values are then HTML-escaped into it.
  const html = kind === 'markdown' ? marked.parse(source, { async: false, gfm: true }) : source;
  const template = compileTemplate(html, {
    allowedFields: options.allowedFields,
    html: true,
    name: options.name,
  });
  return htmlLetter(kind, template, options);
}

function htmlLetter(kind: LetterKind, template: Template, options: LetterTemplateOptions): LetterTemplate {
  return {
    kind,
    name: options.name,
    fields: template.fields,
    async personalise(values) {
      const html = template.render(values);
      const pdf = await writeLetterPdf(htmlToBlocks(html), {
        ...(options.paper ? { paper: options.paper } : {}),
        ...(options.date ? { date: options.date } : {}),
      });
      return { html, text: htmlToText(html), pdf };
    },
  };
}

function officeLetter(template: OfficeTemplate, options: LetterTemplateOptions): LetterTemplate {
  return {
    kind: template.kind,
    name: options.name,
    fields: template.fields,
    async personalise(values) {
      const pdf = await convertOfficeToPdf(template.render(values), {
        name: options.name,
        type: template.kind,
        timeoutMs: options.officeTimeoutMs ?? 60_000,
        maxPdfBytes: 20 * 1024 * 1024,
      });
      return { html: undefined, text: 'Your letter is attached as a PDF.', pdf };
    },
  };
}
