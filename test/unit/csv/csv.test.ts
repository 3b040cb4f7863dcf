import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CsvFormatError, formatCsvRecord, parseCsv } from '../../../src/csv/index.ts';

async function parseAll(...chunks: string[]): Promise<{ line: number; fields: readonly string[] }[]> {
  const records = [];
  for await (const record of parseCsv(Readable.from(chunks))) records.push(record);
  return records;
}

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, across chunk boundaries', async () => {
    const records = await parseAll('number,note\r\n+4930,"a, ""quoted""', '\nnote"\r\n+4940,plain\n');
    expect(records).toEqual([
      { line: 1, fields: ['number', 'note'] },
      { line: 2, fields: ['+4930', 'a, "quoted"\nnote'] },
      { line: 4, fields: ['+4940', 'plain'] },
    ]);
  });

  it('keeps empty fields and skips blank lines; the last record needs no newline', async () => {
    expect(await parseAll('a,,c\n\n,\nlast')).toEqual([
      { line: 1, fields: ['a', '', 'c'] },
      { line: 3, fields: ['', ''] },
      { line: 4, fields: ['last'] },
    ]);
  });

  it('names the line of malformed input', async () => {
    await expect(parseAll('ok\nbad"quote\n')).rejects.toThrow(/line 2: a quote inside an unquoted field/);
    await expect(parseAll('ok\n"never closed\n')).rejects.toThrow(CsvFormatError);
  });

  it('refuses a record longer than the limit instead of buffering it', async () => {
    const records = parseCsv(
      Readable.from(
        (function* () {
          for (;;) yield 'x'.repeat(1_000);
        })(),
      ),
      { maxRecordBytes: 10_000, maxFields: 10 },
    );
    await expect(records.next()).rejects.toThrow(/line 1: record longer than 10000 bytes/);
  });

  it('round-trips what formatCsvRecord writes', async () => {
    const fields = ['+4930 123', 'a,b', 'say "hi"', 'two\nlines', ''];
    expect((await parseAll(formatCsvRecord(fields)))[0]?.fields).toEqual(fields);
  });
});
