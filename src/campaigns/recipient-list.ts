// The recipients CSV of a campaign, read as a stream: a header naming the columns (`email` and/or
// `fax` required, `name` and any others become template fields), then one recipient per row. A row
// is refused with its line and reason — no address and no number, a malformed address, a number the
// account may not call, more fields than the header — and never silently dropped.
import { checkDestination, type DialPlan } from '../accounts/index.ts';
import { parseCsv, type CsvLimits } from '../csv/index.ts';
import { TerminalError } from '../../cluster/index.ts';
import type { RecipientRow, RowOutcome } from './campaign-store.ts';

export class RecipientListError extends TerminalError {
  constructor(message: string) {
    super(message, { wire: { http: 400, smtp: { code: 554, enhanced: '5.6.1' } } });
  }
}

// Deliberately plain, as for DIDs: one @, a dot in the domain, no spaces; the mail server judges the rest.
const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;
const COLUMN = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

export type ListEntry = { readonly recipient: RecipientRow } | { readonly refused: RowOutcome };

/** The header's column names, checked: what the template may use. */
export function listColumns(header: readonly string[]): string[] {
  const columns = header.map((name) => name.trim().toLowerCase());
  const bad = columns.filter((name) => !COLUMN.test(name));
  if (bad.length > 0) {
    throw new RecipientListError(
      `the recipients list's header has unusable column names (${bad.map((b) => `'${b}'`).join(', ')}): letters, digits, '_', '.', '-'`,
    );
  }
  if (!columns.includes('email') && !columns.includes('fax')) {
    throw new RecipientListError('the recipients list needs an email column, a fax column, or both');
  }
  const twice = columns.find((name, index) => columns.indexOf(name) !== index);
  if (twice) throw new RecipientListError(`the recipients list names the column '${twice}' twice`);
  return columns;
}

/** Reads the list: one entry per row after the header, in order. */
export async function* readRecipientList(
  chunks: AsyncIterable<string | Buffer>,
  dialPlan: DialPlan,
  limits?: CsvLimits,
): AsyncGenerator<ListEntry> {
  let columns: string[] | undefined;
  for await (const record of parseCsv(chunks, limits)) {
    if (!columns) {
      columns = listColumns(record.fields);
      continue;
    }
    if (record.fields.every((field) => field.trim() === '')) continue; // blank line
    const fields: Record<string, string> = {};
    columns.forEach((name, index) => (fields[name] = record.fields[index]?.trim() ?? ''));
    const email = fields['email'] || undefined;
    const written = fields['fax'] || undefined;
    const refuse = (detail: string): ListEntry => ({
      refused: {
        line: record.line,
        result: 'invalid',
        channel: '',
        email: email ?? '',
        fax: written ?? '',
        detail,
      },
    });
    if (record.fields.length > columns.length) {
      yield refuse(`${record.fields.length} fields, but the header names ${columns.length}`);
      continue;
    }
    if (!email && !written) {
      yield refuse('no email address and no fax number');
      continue;
    }
    if (email && !EMAIL.test(email)) {
      yield refuse(`'${email}' is not an email address`);
      continue;
    }
    let fax: string | undefined;
    if (written) {
      try {
        fax = checkDestination(written, dialPlan);
      } catch (error) {
        yield refuse((error as Error).message);
        continue;
      }
      fields['fax'] = fax;
    }
    yield { recipient: { line: record.line, email: email?.toLowerCase(), fax, fields } };
  }
  if (!columns) throw new RecipientListError('the recipients list is empty: it needs a header and rows');
}
