// `{{field}}` templates for email subjects and bodies and for serial letters. A template is parsed
// once and checked against the fields it may use, so a typo is reported when the template is
// configured, not discovered in a customer's inbox. HTML output escapes every value.
import { TerminalError } from '../../cluster/index.ts';

export class TemplateError extends TerminalError {
  constructor(message: string) {
    super(message, { wire: { http: 400 } });
  }
}

type Part = { readonly text: string } | { readonly field: string };

export interface Template {
  readonly fields: readonly string[];
  render(values: Readonly<Record<string, string | number | undefined>>): string;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;
const MAX_TEMPLATE_BYTES = 1024 * 1024;

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);
}

export interface CompileOptions {
  /** Fields the template may use; anything else is an error at compile time. */
  readonly allowedFields?: readonly string[];
  /** Escape values for HTML. */
  readonly html?: boolean;
  /** Name used in error messages, e.g. "subject template". */
  readonly name?: string;
}

export function compileTemplate(source: string, options: CompileOptions = {}): Template {
  const name = options.name ?? 'template';
  if (Buffer.byteLength(source) > MAX_TEMPLATE_BYTES) throw new TemplateError(`${name} is larger than 1 MiB`);
  const parts: Part[] = [];
  let last = 0;
  for (const match of source.matchAll(PLACEHOLDER)) {
    if (match.index > last) parts.push({ text: source.slice(last, match.index) });
    parts.push({ field: match[1]! });
    last = match.index + match[0].length;
  }
  if (last < source.length) parts.push({ text: source.slice(last) });
  const fields = [...new Set(parts.flatMap((part) => ('field' in part ? [part.field] : [])))];
  if (options.allowedFields) {
    const unknown = fields.filter((field) => !options.allowedFields!.includes(field));
    if (unknown.length > 0) {
      throw new TemplateError(
        `${name} uses unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((f) => `{{${f}}}`).join(', ')}; ` +
          `available: ${options.allowedFields.join(', ')}`,
      );
    }
  }
  const escape = options.html ? escapeHtml : (text: string) => text;
  return {
    fields,
    render: (values) =>
      parts.map((part) => ('text' in part ? part.text : escape(String(values[part.field] ?? '')))).join(''),
  };
}
