// Plain text (and HTML reduced to text) laid out as a typed letter: 10 pt monospace, half-inch
// margins, word wrap, tab stops every 8 columns, form feeds start a new page. Monospace keeps
// plain-text mail (tables, signatures, quoted replies) aligned the way its author saw it.
import { createBitmap, type FaxPage } from '../page.ts';
import { TooManyPagesError } from './errors.ts';
import { type PageGeometry } from './geometry.ts';
import { drawText, glyphsFor, type GlyphFont } from './glyphs.ts';

const BODY_FONT: GlyphFont = { sizePt: 10 };
const MARGIN_IN = 0.5;
const TAB_STOP = 8;

export interface TextRenderOptions {
  readonly name: string;
  readonly geometry: PageGeometry;
  readonly maxPages: number;
}

export async function renderText(text: string, options: TextRenderOptions): Promise<FaxPage[]> {
  const { geometry } = options;
  const glyphs = await glyphsFor(BODY_FONT, geometry.resolution, text);
  const left = Math.round(MARGIN_IN * geometry.xDpi);
  const top = Math.round(MARGIN_IN * geometry.yDpi);
  const columns = Math.floor((geometry.width - 2 * left) / glyphs.cellWidth);
  const linesPerPage = Math.floor((geometry.height - 2 * top) / glyphs.cellHeight);
  const pages = paginate(wrapText(text, columns), linesPerPage);
  if (pages.length > options.maxPages)
    throw new TooManyPagesError(options.name, pages.length, options.maxPages);
  return pages.map((lines) => {
    const page = createBitmap(geometry.width, geometry.height);
    lines.forEach((line, i) => drawText(page, glyphs, line, left, top + i * glyphs.cellHeight));
    return { ...page, resolution: geometry.resolution };
  });
}

/** A form feed inside the text: the line after it starts a new page. */
const PAGE_BREAK = '\f';

/** Splits text into display lines of at most `columns` characters (code points). */
export function wrapText(text: string, columns: number): string[] {
  const lines: string[] = [];
  for (const rawLine of text.replace(/\r\n?/g, '\n').split('\n')) {
    const parts = rawLine.split(PAGE_BREAK);
    parts.forEach((part, i) => {
      if (i > 0) lines.push(PAGE_BREAK);
      lines.push(...wrapLine(expandTabs(part), columns));
    });
  }
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  return lines;
}

function expandTabs(line: string): string {
  if (!line.includes('\t')) return line;
  let out = '';
  let column = 0;
  for (const char of line) {
    const width = char === '\t' ? TAB_STOP - (column % TAB_STOP) : 1;
    out += char === '\t' ? ' '.repeat(width) : char;
    column += width;
  }
  return out;
}

function wrapLine(line: string, columns: number): string[] {
  const chars = [...line.trimEnd()];
  if (chars.length <= columns) return [chars.join('')];
  const lines: string[] = [];
  let start = 0;
  while (chars.length - start > columns) {
    // Break after the last space that fits; a word longer than a line is cut where the line ends.
    let end = start + columns;
    let space = end;
    while (space > start && chars[space] !== ' ') space--;
    if (space > start) end = space;
    lines.push(chars.slice(start, end).join('').trimEnd());
    start = end;
    while (chars[start] === ' ') start++;
  }
  if (start < chars.length) lines.push(chars.slice(start).join(''));
  return lines;
}

function paginate(lines: readonly string[], linesPerPage: number): string[][] {
  const pages: string[][] = [[]];
  for (const line of lines) {
    let current = pages.at(-1)!;
    if (line === PAGE_BREAK) {
      pages.push([]);
      continue;
    }
    if (current.length === linesPerPage) {
      current = [];
      pages.push(current);
    }
    current.push(line);
  }
  return pages;
}
