// The header line a fax machine prints at the top of every page it sends ("date  from  page N of
// M"), stamped at send time onto an already rendered page: the top band is cleared and the line
// blitted from cached glyphs — microseconds per page, no re-render of the document.
import { type FaxPage } from '../page.ts';
import { formatDate } from './cover.ts';
import { drawText, glyphsFor, type GlyphFont } from './glyphs.ts';

export interface HeaderLine {
  readonly date: Date;
  /** The sender as the recipient should see it: a name and/or the station's number. */
  readonly from: string;
  readonly pageNumber: number;
  readonly pageCount: number;
  readonly timeZone?: string;
}

const HEADER_FONT: GlyphFont = { sizePt: 8 };
/** Characters the header glyph set always holds, so stamping normally needs no rasterising at all. */
const PRELOADED =
  ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~';
const SIDE_MARGIN_PX = 48;

/** Returns a copy of `page` whose top rows carry the header line. */
export async function stampHeaderLine(page: FaxPage, header: HeaderLine): Promise<FaxPage> {
  const left = `${formatDate(header.date, header.timeZone)}  ${header.from}`;
  const right = `page ${header.pageNumber} of ${header.pageCount}`;
  const glyphs = await glyphsFor(HEADER_FONT, page.resolution, PRELOADED + left);
  const data = page.data.slice();
  const band = Math.min(page.height, glyphs.cellHeight);
  data.fill(0, 0, band * page.rowBytes);
  const stamped = { ...page, data };
  const rightX = page.width - SIDE_MARGIN_PX - [...right].length * glyphs.cellWidth;
  const maxLeftChars = Math.max(0, Math.floor((rightX - SIDE_MARGIN_PX) / glyphs.cellWidth) - 2);
  drawText(stamped, glyphs, [...left].slice(0, maxLeftChars).join(''), SIDE_MARGIN_PX, 0);
  drawText(stamped, glyphs, right, rightX, 0);
  return stamped;
}
