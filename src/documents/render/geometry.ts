// Fax page geometry: every rendered page is 1728 px wide (decision 4) and as long as the paper at
// the chosen vertical resolution. Content is fitted into the page preserving its aspect ratio in
// physical units, which at 204×98 dpi means half as many rows as columns per inch.
import { FAX_RESOLUTIONS, STANDARD_FAX_WIDTH, type FaxPage, type FaxResolution } from '../page.ts';

export type PaperSize = 'a4' | 'letter';

/** Paper length in inches; the width is always the fax scan width (1728 px = 8.47 in at 204 dpi). */
const PAPER_LENGTH_IN: Record<PaperSize, number> = { a4: 297 / 25.4, letter: 11 };

export interface PageGeometry {
  readonly width: number;
  readonly height: number;
  readonly xDpi: number;
  readonly yDpi: number;
  readonly resolution: FaxResolution;
}

export function pageGeometry(resolution: FaxResolution, paperSize: PaperSize): PageGeometry {
  const { xDpi, yDpi } = FAX_RESOLUTIONS[resolution];
  return {
    width: STANDARD_FAX_WIDTH,
    height: Math.round(PAPER_LENGTH_IN[paperSize] * yDpi),
    xDpi,
    yDpi,
    resolution,
  };
}

/** Where content lands on the page, in page pixels; `rotate` = turned 90° clockwise to portrait. */
export interface Placement {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly rotate: boolean;
}

export interface FitOptions {
  /** Margin on every side in inches (images and text get one; PDFs carry their own). */
  readonly marginIn: number;
  /** Centre vertically (PDF pages) or keep at the top (images, like a printed photo on a letter). */
  readonly verticalAlign: 'center' | 'top';
}

/**
 * Fits content of `widthIn`×`heightIn` inches into the page: landscape content is turned to
 * portrait, then scaled (up or down) to the largest size that fits inside the margins.
 */
export function fitToPage(
  page: PageGeometry,
  widthIn: number,
  heightIn: number,
  options: FitOptions,
): Placement {
  const rotate = widthIn > heightIn;
  const [contentW, contentH] = rotate ? [heightIn, widthIn] : [widthIn, heightIn];
  const boxW = page.width / page.xDpi - 2 * options.marginIn;
  const boxH = page.height / page.yDpi - 2 * options.marginIn;
  const scale = Math.min(boxW / contentW, boxH / contentH);
  const width = Math.max(1, Math.min(page.width, Math.round(contentW * scale * page.xDpi)));
  const height = Math.max(1, Math.min(page.height, Math.round(contentH * scale * page.yDpi)));
  const x = Math.floor((page.width - width) / 2);
  const y =
    options.verticalAlign === 'center'
      ? Math.floor((page.height - height) / 2)
      : Math.round(options.marginIn * page.yDpi);
  return { x, y, width, height, rotate };
}

/** Rendered pages and the 1-based numbers of those that were landscape and turned to portrait. */
export interface RenderedPages {
  readonly pages: FaxPage[];
  readonly rotatedPages: number[];
}
