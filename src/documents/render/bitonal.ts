// Grey to 1-bit. Three modes: `text` thresholds at 50 %; `halftone` (the default) is a 45°
// clustered-dot ordered dither — few black/white transitions, so a photo page stays short on the
// wire (decision 4: 44 s vs 149 s at 14.4k); `photo` is Floyd–Steinberg error diffusion, finer but
// costly to send. Pure black and pure white pass every mode unchanged, so vector text rendered
// without anti-aliasing stays crisp even when a page is halftoned.
import { type Bitmap } from '../page.ts';

export type BitonalMode = 'text' | 'halftone' | 'photo';

/** A grey image, one byte per pixel, 0 = black, 255 = white, `stride` bytes per row. */
export interface GrayImage {
  readonly width: number;
  readonly height: number;
  readonly stride: number;
  readonly data: Uint8Array;
}

const CELL = 8;
/** Threshold per position in an 8×8 tile holding two 45°-rotated dots that grow from their centres. */
const CLUSTERED_DOT = buildClusteredDot();

/**
 * Near-white paper and near-black ink snap to pure white and black before a dither, so a scanned
 * page's grey background does not turn into speckle (which also bloats every G4 line).
 */
const TONE = buildToneCurve(24, 232);
/** `text` mode: a plain 50 % threshold, expressed as a flat tile so both modes share one loop. */
const FLAT = new Uint8Array(CELL * CELL).fill(128);
const IDENTITY = buildToneCurve(0, 255);

/** Writes `gray` into `target` with its top-left corner at (x0, y0); pixels outside are clipped. */
export function drawGray(target: Bitmap, gray: GrayImage, x0: number, y0: number, mode: BitonalMode): void {
  if (mode === 'photo') {
    diffuseErrors(target, gray, x0, y0);
    return;
  }
  const [thresholds, tone] = mode === 'text' ? [FLAT, IDENTITY] : [CLUSTERED_DOT, TONE];
  if (x0 === 0 && gray.width === target.width) {
    packFullWidth(target, gray, y0, thresholds, tone);
    return;
  }
  const { data, rowBytes } = target;
  const rows = Math.min(gray.height, target.height - y0);
  const cols = Math.min(gray.width, target.width - x0);
  for (let y = Math.max(0, -y0); y < rows; y++) {
    const ty = y + y0;
    const src = y * gray.stride;
    const dst = ty * rowBytes;
    const tileRow = (ty % CELL) * CELL;
    for (let x = Math.max(0, -x0); x < cols; x++) {
      const tx = x + x0;
      const value = gray.data[src + x]!;
      if (tone[value]! < thresholds[tileRow + (tx % CELL)]!) data[dst + (tx >> 3)]! |= 0x80 >> (tx & 7);
    }
  }
}

/**
 * The hot path for PDF pages: grey rendered at full page width. Eight white pixels (two 32-bit
 * reads of 0xffffffff) become a zero byte without per-pixel work; most of a text page is white.
 */
function packFullWidth(
  target: Bitmap,
  gray: GrayImage,
  y0: number,
  thresholds: Uint8Array,
  tone: Uint8Array,
): void {
  const { data, rowBytes, width } = target;
  const aligned = gray.stride % 4 === 0 && gray.data.byteOffset % 4 === 0;
  const words = aligned
    ? new Uint32Array(gray.data.buffer, gray.data.byteOffset, (gray.stride * gray.height) >> 2)
    : undefined;
  const fullBytes = width >> 3;
  const rows = Math.min(gray.height, target.height - y0);
  for (let y = Math.max(0, -y0); y < rows; y++) {
    const ty = y + y0;
    const src = y * gray.stride;
    const dst = ty * rowBytes;
    const tile = (ty % CELL) * CELL;
    for (let b = 0; b < fullBytes; b++) {
      const p = src + (b << 3);
      if (words !== undefined) {
        const low = words[p >> 2]!;
        const high = words[(p >> 2) + 1]!;
        if ((low & high) === -1) continue; // eight white pixels (bitwise results are signed)
        // Only pure black and white (vector text without anti-aliasing): the pixel is its bit.
        if (isPureBlackWhite(low) && isPureBlackWhite(high)) {
          data[dst + b] = (blackBitsOf(low) << 4) | blackBitsOf(high);
          continue;
        }
      }
      let byte = 0;
      for (let bit = 0; bit < 8; bit++) {
        if (tone[gray.data[p + bit]!]! < thresholds[tile + bit]!) byte |= 0x80 >> bit;
      }
      data[dst + b] = byte;
    }
  }
}

/** Every byte of the (little-endian) word is 0x00 or 0xff. */
function isPureBlackWhite(word: number): boolean {
  return ((word ^ (word >>> 1)) & 0x7f7f7f7f) === 0;
}

/** Four pixels of a pure word as four bits, first pixel (lowest byte) most significant. */
function blackBitsOf(word: number): number {
  const black = ~word;
  return ((black >>> 4) & 8) | ((black >>> 13) & 4) | ((black >>> 22) & 2) | ((black >>> 31) & 1);
}

function diffuseErrors(target: Bitmap, gray: GrayImage, x0: number, y0: number): void {
  const { data, rowBytes } = target;
  const cols = Math.min(gray.width, target.width - x0);
  const rows = Math.min(gray.height, target.height - y0);
  let current = new Float32Array(gray.width + 2);
  let next = new Float32Array(gray.width + 2);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const wanted = TONE[gray.data[y * gray.stride + x]!]! + current[x + 1]!;
      const black = wanted < 128;
      const error = wanted - (black ? 0 : 255);
      if (black) {
        const tx = x + x0;
        data[(y + y0) * rowBytes + (tx >> 3)]! |= 0x80 >> (tx & 7);
      }
      current[x + 2]! += (error * 7) / 16;
      next[x]! += (error * 3) / 16;
      next[x + 1]! += (error * 5) / 16;
      next[x + 2]! += error / 16;
    }
    [current, next] = [next, current];
    next.fill(0);
  }
}

function buildClusteredDot(): Uint8Array {
  // Dot centres at (0,0) and (4,4) of the periodic tile: a screen at 45°, ≈36 lines per inch at
  // 204 dpi — coarse enough that a fax's dot gain does not fill it in.
  const centres = [
    [0, 0],
    [4, 4],
    [8, 0],
    [0, 8],
    [8, 8],
  ] as const;
  const cells: { index: number; distance: number }[] = [];
  for (let y = 0; y < CELL; y++) {
    for (let x = 0; x < CELL; x++) {
      const distance = Math.min(...centres.map(([cx, cy]) => Math.hypot(x + 0.5 - cx, y + 0.5 - cy)));
      cells.push({ index: y * CELL + x, distance });
    }
  }
  cells.sort((a, b) => a.distance - b.distance || a.index - b.index);
  const matrix = new Uint8Array(CELL * CELL);
  // A pixel turns black when its grey is below its threshold: the dot centres (rank 0) first, at
  // 254, the cell edges last, at 2 — so 0 stays black and 255 stays white.
  cells.forEach(
    (cell, rank) => (matrix[cell.index] = Math.round(((CELL * CELL - rank - 0.5) * 256) / (CELL * CELL))),
  );
  return matrix;
}

function buildToneCurve(black: number, white: number): Uint8Array {
  const curve = new Uint8Array(256);
  for (let v = 0; v < 256; v++)
    curve[v] = Math.max(0, Math.min(255, Math.round(((v - black) * 255) / (white - black))));
  return curve;
}
