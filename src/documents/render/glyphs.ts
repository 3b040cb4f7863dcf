// Monospace glyphs rasterised once per size and resolution, then blitted: text pages, cover pages
// and the per-page header line are composed from cached 1-bit glyph masks instead of re-rendering
// a page. Glyphs are drawn by librsvg (through sharp) from the system's DejaVu Sans Mono, squashed
// or stretched vertically to the fax's non-square pixels, and thresholded.
import sharp from 'sharp';
import { FAX_RESOLUTIONS, type Bitmap, type FaxResolution } from '../page.ts';

export interface GlyphFont {
  readonly sizePt: number;
  readonly bold?: boolean;
}

/** A character's black pixels relative to its cell's top-left corner. */
interface GlyphMask {
  readonly xs: Uint16Array;
  readonly ys: Uint16Array;
}

export interface GlyphSet {
  /** Advance of every character in pixels (the font is monospaced). */
  readonly cellWidth: number;
  /** Line pitch in pixels at the set's vertical resolution. */
  readonly cellHeight: number;
  readonly glyphs: ReadonlyMap<string, GlyphMask>;
}

const FONT_FAMILY = 'DejaVu Sans Mono';
// DejaVu Sans Mono metrics in em: advance 1233/2048, ascent 0.928, line pitch 1.2 (a little
// leading on top of ascent + descent 1.164, as word processors set it).
const ADVANCE_EM = 1233 / 2048;
const ASCENT_EM = 0.928;
const LINE_EM = 1.2;
const ATLAS_COLUMNS = 64;
/** Hostile text with tens of thousands of distinct characters gets '?' beyond this many glyphs. */
const MAX_GLYPHS_PER_SET = 8192;
const BLANK: GlyphMask = { xs: new Uint16Array(0), ys: new Uint16Array(0) };

const cache = new Map<string, { set: GlyphSet; glyphs: Map<string, GlyphMask> }>();

/** The glyph set for `font` at `resolution`, with at least every character of `text` rasterised. */
export async function glyphsFor(font: GlyphFont, resolution: FaxResolution, text: string): Promise<GlyphSet> {
  const key = `${font.sizePt}/${font.bold === true}/${resolution}`;
  let entry = cache.get(key);
  if (entry === undefined) {
    const { xDpi, yDpi } = FAX_RESOLUTIONS[resolution];
    const emPx = (font.sizePt / 72) * xDpi;
    const glyphs = new Map<string, GlyphMask>([[' ', BLANK]]);
    const set = {
      cellWidth: Math.round(ADVANCE_EM * emPx),
      cellHeight: Math.round(LINE_EM * emPx * (yDpi / xDpi)),
      glyphs,
    };
    entry = { set, glyphs };
    cache.set(key, entry);
  }
  const room = MAX_GLYPHS_PER_SET - entry.glyphs.size;
  const missing = [...new Set(text)]
    .filter((char) => !entry.glyphs.has(char) && isDrawable(char))
    .slice(0, Math.max(0, room));
  if (missing.length > 0) await rasterise(font, resolution, entry.set, missing, entry.glyphs);
  return entry.set;
}

/** Draws `text` on one line starting at pixel (x, y) (top of the cell); returns the x after it. */
export function drawText(target: Bitmap, glyphs: GlyphSet, text: string, x: number, y: number): number {
  const { data, rowBytes, width, height } = target;
  for (const char of text) {
    const mask = glyphs.glyphs.get(char) ?? glyphs.glyphs.get('?') ?? BLANK;
    for (let i = 0; i < mask.xs.length; i++) {
      const px = x + mask.xs[i]!;
      const py = y + mask.ys[i]!;
      if (px < width && py < height && px >= 0 && py >= 0)
        data[py * rowBytes + (px >> 3)]! |= 0x80 >> (px & 7);
    }
    x += glyphs.cellWidth;
  }
  return x;
}

function isDrawable(char: string): boolean {
  const code = char.codePointAt(0) ?? 0;
  return code >= 0x20 && !(code >= 0x7f && code < 0xa0);
}

async function rasterise(
  font: GlyphFont,
  resolution: FaxResolution,
  set: GlyphSet,
  chars: readonly string[],
  into: Map<string, GlyphMask>,
): Promise<void> {
  const { xDpi, yDpi } = FAX_RESOLUTIONS[resolution];
  const emPx = (font.sizePt / 72) * xDpi;
  const squash = yDpi / xDpi;
  const { cellWidth, cellHeight } = set;
  const rows = Math.ceil(chars.length / ATLAS_COLUMNS);
  const width = ATLAS_COLUMNS * cellWidth;
  const height = rows * cellHeight;
  // Each glyph sits at its own cell origin, so rounding never accumulates along a line.
  const texts = chars.map((char, i) => {
    const x = (i % ATLAS_COLUMNS) * cellWidth;
    const baseline = Math.floor(i / ATLAS_COLUMNS) * cellHeight + ASCENT_EM * emPx * squash;
    return `<text x="${x}" y="${(baseline / squash).toFixed(3)}">${escapeXml(char)}</text>`;
  });
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect width="${width}" height="${height}" fill="#fff"/>` +
    `<g transform="scale(1 ${squash})" font-family="${FONT_FAMILY}" font-size="${emPx.toFixed(3)}"` +
    ` font-weight="${font.bold === true ? 'bold' : 'normal'}" fill="#000">${texts.join('')}</g></svg>`;
  const { data, info } = await sharp(Buffer.from(svg))
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const stride = info.width * info.channels;
  chars.forEach((char, i) => {
    const cellX = (i % ATLAS_COLUMNS) * cellWidth;
    const cellY = Math.floor(i / ATLAS_COLUMNS) * cellHeight;
    const xs: number[] = [];
    const ys: number[] = [];
    for (let y = 0; y < cellHeight; y++) {
      for (let x = 0; x < cellWidth; x++) {
        if (data[(cellY + y) * stride + (cellX + x) * info.channels]! < 128) {
          xs.push(x);
          ys.push(y);
        }
      }
    }
    into.set(char, { xs: Uint16Array.from(xs), ys: Uint16Array.from(ys) });
  });
}

function escapeXml(char: string): string {
  if (char === '<') return '&lt;';
  if (char === '>') return '&gt;';
  if (char === '&') return '&amp;';
  return char;
}
