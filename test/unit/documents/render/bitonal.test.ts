// Grey to 1-bit: pure black and white survive every mode (so crisp text stays crisp when a page is
// halftoned), grey levels come out as the matching share of black, and placement clips to the page.
import { describe, expect, it } from 'vitest';
import { bitmapsEqual, createBitmap } from '../../../../src/documents/index.ts';
import { drawGray, type BitonalMode } from '../../../../src/documents/render/bitonal.ts';
import { blackFraction, isBlack } from './support.ts';

const modes: BitonalMode[] = ['text', 'halftone', 'photo'];

function flat(
  width: number,
  height: number,
  value: number,
): { width: number; height: number; stride: number; data: Uint8Array } {
  return { width, height, stride: width, data: new Uint8Array(width * height).fill(value) };
}

describe('drawGray', () => {
  it.each(modes)('keeps pure black black and pure white white (%s)', (mode) => {
    const gray = flat(64, 64, 255);
    for (let y = 10; y < 30; y++) gray.data.fill(0, y * 64 + 5, y * 64 + 40);
    const page = createBitmap(1728, 64);
    drawGray(page, { ...gray, width: 64 }, 0, 0, mode);
    const full = createBitmap(1728, 64);
    drawGray(full, { width: 1728, height: 64, stride: 1728, data: widen(gray.data, 64, 1728) }, 0, 0, mode);
    for (const target of [page, full]) {
      expect(blackFraction(target, 5, 10, 40, 30)).toBe(1);
      expect(blackFraction(target, 0, 0, 1728, 10)).toBe(0);
      expect(blackFraction(target, 40, 0, 1728, 64)).toBe(0);
    }
  });

  it.each([
    ['halftone', 64],
    ['halftone', 128],
    ['halftone', 192],
    ['photo', 64],
    ['photo', 128],
    ['photo', 192],
  ] as const)('renders grey %i as the matching share of black (%s)', (mode, value) => {
    const page = createBitmap(1728, 128);
    drawGray(page, flat(1728, 128, value), 0, 0, mode);
    // After the tone curve (24 → black, 232 → white) grey v should be (232 − v) / 208 black.
    const expected = (232 - value) / 208;
    expect(blackFraction(page, 0, 0, 1728, 128)).toBeCloseTo(expected, 1);
  });

  it('thresholds at half grey in text mode', () => {
    const page = createBitmap(1728, 8);
    drawGray(page, flat(100, 8, 127), 0, 0, 'text');
    drawGray(page, flat(100, 8, 128), 200, 0, 'text');
    expect(blackFraction(page, 0, 0, 100, 8)).toBe(1);
    expect(blackFraction(page, 200, 0, 300, 8)).toBe(0);
  });

  it.each(['text', 'halftone'] as const)(
    'packs a full-width page word by word exactly as pixel by pixel (%s)',
    (mode) => {
      // Pure black, pure white and every grey level, in runs and alone, across word boundaries.
      const width = 1728;
      const height = 16;
      const pixels = new Uint8Array(width * height);
      let seed = 7;
      for (let i = 0; i < pixels.length; i++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        const pick = seed >>> 29;
        pixels[i] = pick < 3 ? 255 : pick < 5 ? 0 : (seed >>> 8) & 0xff;
      }
      const byWords = createBitmap(width, height);
      drawGray(byWords, { width, height, stride: width, data: pixels }, 0, 0, mode);
      // The same pixels at an odd byte offset: no 32-bit view, so the per-pixel path draws them.
      const shifted = new Uint8Array(pixels.length + 1);
      shifted.set(pixels, 1);
      const byPixels = createBitmap(width, height);
      drawGray(byPixels, { width, height, stride: width, data: shifted.subarray(1) }, 0, 0, mode);
      expect(bitmapsEqual(byWords, byPixels)).toBe(true);
      expect(blackFraction(byWords, 0, 0, width, height)).toBeGreaterThan(0.2);
    },
  );

  it('places at an unaligned offset and clips what falls off the page', () => {
    const page = createBitmap(1728, 100);
    drawGray(page, flat(50, 50, 0), 1700, 75, 'halftone');
    expect(isBlack(page, 1699, 80)).toBe(false);
    expect(isBlack(page, 1700, 75)).toBe(true);
    expect(isBlack(page, 1727, 99)).toBe(true);
    expect(blackFraction(page, 1700, 75, 1728, 100)).toBe(1);
  });
});

function widen(data: Uint8Array, from: number, to: number): Uint8Array {
  const rows = data.length / from;
  const out = new Uint8Array(to * rows).fill(255);
  for (let y = 0; y < rows; y++) out.set(data.subarray(y * from, (y + 1) * from), y * to);
  return out;
}
