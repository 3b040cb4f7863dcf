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

/**
 * Near-white paper and near-black ink snap to pure white and black before a dither, so a scanned
 * page's grey background does not turn into speckle (which also bloats every G4 line).
 */
const TONE = buildToneCurve(24, 232);

/**
 * Per position in the 8×8 tile, the grey level below which a pixel turns black: the tone curve
 * and the threshold folded into one comparison (the curve never falls, so `tone[v] < t` holds
 * exactly for the grey levels below the first `v` whose tone reaches `t`). One compare per pixel,
 * no table lookup. `halftone`: a 45° clustered-dot screen; `text`: a plain 50 % threshold.
 */
const LIMITS: Record<Exclude<BitonalMode, 'photo'>, Uint8Array> = {
  halftone: foldTone(buildClusteredDot(), TONE),
  text: new Uint8Array(CELL * CELL).fill(128),
};

/** Writes `gray` into `target` with its top-left corner at (x0, y0); pixels outside are clipped. */
export function drawGray(target: Bitmap, gray: GrayImage, x0: number, y0: number, mode: BitonalMode): void {
  if (mode === 'photo') {
    diffuseErrors(target, gray, x0, y0);
    return;
  }
  const limits = LIMITS[mode];
  if (x0 === 0 && gray.width === target.width && gray.width % 8 === 0) {
    const words =
      gray.stride % 4 === 0 && gray.data.byteOffset % 4 === 0
        ? new Int32Array(gray.data.buffer, gray.data.byteOffset, (gray.stride * gray.height) >> 2)
        : undefined;
    if (words !== undefined) {
      packFullWidth(target, gray, words, y0, limits);
      return;
    }
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
      if (gray.data[src + x]! < limits[tileRow + (tx % CELL)]!) data[dst + (tx >> 3)]! |= 0x80 >> (tx & 7);
    }
  }
}

/**
 * The hot path for PDF pages: grey rendered at full page width, read as 32-bit words, four pixels
 * each (little-endian: the first pixel is the lowest byte). One output byte is eight pixels, so
 * a row's eight limits stay in locals. Eight white pixels are a zero byte without per-pixel work
 * (most of a text page is white); pure black and white (vector text without anti-aliasing) map
 * straight to bits; only grey pixels are compared.
 */
function packFullWidth(
  target: Bitmap,
  gray: GrayImage,
  words: Int32Array,
  y0: number,
  limits: Uint8Array,
): void {
  const { data, rowBytes } = target;
  const wordsPerRow = gray.stride >> 2;
  const bytesPerRow = gray.width >> 3;
  const rows = Math.min(gray.height, target.height - y0);
  for (let y = Math.max(0, -y0); y < rows; y++) {
    const ty = y + y0;
    const tile = (ty % CELL) * CELL;
    const l0 = limits[tile]!;
    const l1 = limits[tile + 1]!;
    const l2 = limits[tile + 2]!;
    const l3 = limits[tile + 3]!;
    const l4 = limits[tile + 4]!;
    const l5 = limits[tile + 5]!;
    const l6 = limits[tile + 6]!;
    const l7 = limits[tile + 7]!;
    let w = y * wordsPerRow;
    const end = ty * rowBytes + bytesPerRow;
    for (let dst = ty * rowBytes; dst < end; dst++, w += 2) {
      const low = words[w]!;
      const high = words[w + 1]!;
      if ((low & high) === -1) continue; // eight white pixels (bitwise results are signed)
      if (isPureBlackWhite(low) && isPureBlackWhite(high)) {
        data[dst] = (blackBitsOf(low) << 4) | blackBitsOf(high);
        continue;
      }
      data[dst] =
        ((low & 0xff) < l0 ? 0x80 : 0) |
        (((low >>> 8) & 0xff) < l1 ? 0x40 : 0) |
        (((low >>> 16) & 0xff) < l2 ? 0x20 : 0) |
        (low >>> 24 < l3 ? 0x10 : 0) |
        ((high & 0xff) < l4 ? 0x08 : 0) |
        (((high >>> 8) & 0xff) < l5 ? 0x04 : 0) |
        (((high >>> 16) & 0xff) < l6 ? 0x02 : 0) |
        (high >>> 24 < l7 ? 0x01 : 0);
    }
  }
}

/** Every byte of the (little-endian) word is 0x00 or 0xff. */
function isPureBlackWhite(word: number): boolean {
  return ((word ^ (word >>> 1)) & 0x7f7f7f7f) === 0;
}

/**
 * Four pixels of a pure word as four bits, first pixel (lowest byte) most significant: each
 * byte's black flag (bit 0 of bytes 0–3) is multiplied onto bits 27, 26, 25 and 24; the other
 * partial products land on distinct bits outside them, so nothing carries in.
 */
function blackBitsOf(word: number): number {
  return (Math.imul((~word >>> 7) & 0x01010101, 0x08040201) >>> 24) & 0x0f;
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

/** For each threshold, the first grey level whose tone reaches it (tone[255] = 255 always does). */
function foldTone(thresholds: Uint8Array, tone: Uint8Array): Uint8Array {
  return thresholds.map((threshold) => {
    let limit = 0;
    while (tone[limit]! < threshold) limit++;
    return limit;
  });
}

function buildToneCurve(black: number, white: number): Uint8Array {
  const curve = new Uint8Array(256);
  for (let v = 0; v < 256; v++)
    curve[v] = Math.max(0, Math.min(255, Math.round(((v - black) * 255) / (white - black))));
  return curve;
}
