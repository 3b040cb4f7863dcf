// The cover page that leads a fax (from, to, subject, pages, note, date) and the continuation
// cover page that leads a resumed send (decision 8: a peer re-dials and sends only from the first
// unconfirmed page). Composed from cached glyphs, so a cover page costs milliseconds, not a render.
import { createBitmap, type Bitmap, type FaxPage, type FaxResolution } from '../page.ts';
import { pageGeometry, type PageGeometry, type PaperSize } from './geometry.ts';
import { drawText, glyphsFor, type GlyphFont } from './glyphs.ts';
import { wrapText } from './text.ts';

export interface CoverPageOptions {
  readonly resolution?: FaxResolution;
  readonly paperSize?: PaperSize;
  /** IANA time zone the date is shown in (default UTC). */
  readonly timeZone?: string;
}

export interface CoverPageInfo {
  readonly from: string;
  readonly to: string;
  readonly subject?: string;
  /** Pages of the whole fax, this cover included. */
  readonly pages: number;
  readonly note?: string;
  readonly date: Date;
}

export interface ContinuationInfo {
  readonly job: string;
  readonly from: string;
  readonly to: string;
  /** First and last page (1-based, of the original document) sent in this attempt. */
  readonly firstPage: number;
  readonly lastPage: number;
  readonly totalPages: number;
  readonly date: Date;
}

const TITLE: GlyphFont = { sizePt: 32, bold: true };
const FIELD: GlyphFont = { sizePt: 12 };
const NOTE: GlyphFont = { sizePt: 11 };
const MARGIN_IN = 0.75;

export async function renderCoverPage(info: CoverPageInfo, options: CoverPageOptions = {}): Promise<FaxPage> {
  const fields: [string, string][] = [
    ['Date', formatDate(info.date, options.timeZone)],
    ['From', info.from],
    ['To', info.to],
  ];
  if (info.subject !== undefined && info.subject !== '') fields.push(['Subject', info.subject]);
  fields.push(['Pages', `${info.pages} (including this cover page)`]);
  return composeCover('FAX', fields, info.note ?? '', options);
}

export async function renderContinuationCoverPage(
  info: ContinuationInfo,
  options: CoverPageOptions = {},
): Promise<FaxPage> {
  const range =
    info.firstPage === info.lastPage ? `page ${info.firstPage}` : `pages ${info.firstPage}–${info.lastPage}`;
  const fields: [string, string][] = [
    ['Date', formatDate(info.date, options.timeZone)],
    ['From', info.from],
    ['To', info.to],
    ['Pages', `${range} of ${info.totalPages}`],
  ];
  const note = `Continuation of fax ${info.job}: ${range} of ${info.totalPages}, resent after interruption. The pages before these were already received.`;
  return composeCover('FAX (continued)', fields, note, options);
}

async function composeCover(
  title: string,
  fields: readonly [string, string][],
  note: string,
  options: CoverPageOptions,
): Promise<FaxPage> {
  const geometry = pageGeometry(options.resolution ?? 'fine', options.paperSize ?? 'a4');
  const page = createBitmap(geometry.width, geometry.height);
  const left = Math.round(MARGIN_IN * geometry.xDpi);
  let y = Math.round(MARGIN_IN * geometry.yDpi);
  const titleGlyphs = await glyphsFor(TITLE, geometry.resolution, title);
  drawText(page, titleGlyphs, title, left, y);
  y += titleGlyphs.cellHeight;
  y = drawRule(page, geometry, left, y);

  const fieldText = fields.map(([label, value]) => label + value).join('');
  const fieldGlyphs = await glyphsFor(FIELD, geometry.resolution, fieldText + ':');
  const labelWidth = Math.max(...fields.map(([label]) => label.length)) + 2;
  const columns = Math.floor((geometry.width - 2 * left) / fieldGlyphs.cellWidth);
  for (const [label, value] of fields) {
    // Long values (a subject line) wrap under themselves, not under the label.
    const lines = wrapText(value.replace(/\s+/g, ' '), columns - labelWidth).slice(0, 3);
    drawText(page, fieldGlyphs, `${label}:`, left, y);
    for (const line of lines.length > 0 ? lines : ['']) {
      drawText(page, fieldGlyphs, line, left + labelWidth * fieldGlyphs.cellWidth, y);
      y += fieldGlyphs.cellHeight;
    }
  }
  y = drawRule(page, geometry, left, y + fieldGlyphs.cellHeight / 2);

  if (note !== '') {
    const noteGlyphs = await glyphsFor(NOTE, geometry.resolution, note);
    const noteColumns = Math.floor((geometry.width - 2 * left) / noteGlyphs.cellWidth);
    const room = Math.floor(
      (geometry.height - Math.round(MARGIN_IN * geometry.yDpi) - y) / noteGlyphs.cellHeight,
    );
    const lines = wrapText(note, noteColumns).filter((line) => line !== '\f');
    const shown = lines.length > room ? [...lines.slice(0, room - 1), '[…]'] : lines;
    for (const line of shown) {
      drawText(page, noteGlyphs, line, left, y);
      y += noteGlyphs.cellHeight;
    }
  }
  return { ...page, resolution: geometry.resolution };
}

/** A horizontal rule 1/50 inch thick with space around it; returns the y below it. */
function drawRule(page: Bitmap, geometry: PageGeometry, left: number, top: number): number {
  const gap = Math.round(geometry.yDpi / 12);
  const thickness = Math.max(1, Math.round(geometry.yDpi / 50));
  const y0 = Math.round(top + gap);
  for (let y = y0; y < y0 + thickness; y++) {
    for (let x = left; x < geometry.width - left; x++)
      page.data[y * page.rowBytes + (x >> 3)]! |= 0x80 >> (x & 7);
  }
  return y0 + thickness + gap;
}

/** Formatters are costly to build (the header line formats a date per page): one per zone. */
const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** `2026-11-22 09:50 UTC`: unambiguous across countries, which a fax often crosses. */
export function formatDate(date: Date, timeZone = 'UTC'): string {
  let format = dateFormats.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    dateFormats.set(timeZone, format);
  }
  const parts = format.formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes): string =>
    parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')} ${part('timeZoneName')}`;
}
