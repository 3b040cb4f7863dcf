// Streaming CSV (RFC 4180: quoted fields, doubled quotes, CRLF or LF) with limits, so a million-row
// import or a 100,000-recipient campaign never sits in memory at once and a hostile file cannot
// exhaust it: a record longer than `maxRecordBytes` or wider than `maxFields` is a typed error.
import { TerminalError } from '../../cluster/index.ts';

export class CsvFormatError extends TerminalError {
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`, { wire: { http: 400 } });
    this.line = line;
  }
}

export interface CsvLimits {
  readonly maxRecordBytes: number;
  readonly maxFields: number;
}

export const DEFAULT_CSV_LIMITS: CsvLimits = { maxRecordBytes: 64 * 1024, maxFields: 256 };

export interface CsvRecord {
  /** The line on which the record starts (1-based), for error messages. */
  readonly line: number;
  readonly fields: readonly string[];
}

/** Parses CSV from text chunks as they arrive; yields one record at a time. */
export async function* parseCsv(
  chunks: AsyncIterable<string | Buffer>,
  limits: CsvLimits = DEFAULT_CSV_LIMITS,
): AsyncGenerator<CsvRecord> {
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let quoteJustClosed = false;
  let recordBytes = 0;
  let line = 1;
  let recordLine = 1;
  let pendingCarriageReturn = false;

  const endField = (): void => {
    fields.push(field);
    field = '';
    quoteJustClosed = false;
    if (fields.length > limits.maxFields) {
      throw new CsvFormatError(recordLine, `more than ${limits.maxFields} fields`);
    }
  };

  for await (const chunk of chunks) {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    for (let i = 0; i < text.length; i++) {
      const char = text[i]!;
      if (++recordBytes > limits.maxRecordBytes) {
        throw new CsvFormatError(recordLine, `record longer than ${limits.maxRecordBytes} bytes`);
      }
      if (pendingCarriageReturn) {
        pendingCarriageReturn = false;
        if (char === '\n') continue;
      }
      if (inQuotes) {
        if (char === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i++;
          } else {
            inQuotes = false;
            quoteJustClosed = true;
          }
        } else {
          if (char === '\n') line++;
          field += char;
        }
        continue;
      }
      if (char === '"') {
        if (field !== '' || quoteJustClosed)
          throw new CsvFormatError(line, 'a quote inside an unquoted field');
        inQuotes = true;
      } else if (char === ',') {
        endField();
      } else if (char === '\n' || char === '\r') {
        endField();
        const record = fields;
        fields = [];
        const startedOn = recordLine;
        line++;
        recordLine = line;
        recordBytes = 0;
        pendingCarriageReturn = char === '\r';
        if (!(record.length === 1 && record[0] === '')) yield { line: startedOn, fields: record };
      } else {
        if (quoteJustClosed) throw new CsvFormatError(line, 'text after a closing quote');
        field += char;
      }
    }
  }
  if (inQuotes)
    throw new CsvFormatError(recordLine, 'a quoted field is not closed before the end of the file');
  if (field !== '' || fields.length > 0 || quoteJustClosed) {
    endField();
    yield { line: recordLine, fields };
  }
}

/** Formats one record, quoting only the fields that need it. */
export function formatCsvRecord(fields: readonly string[]): string {
  return `${fields.map((f) => (/[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(',')}\r\n`;
}
