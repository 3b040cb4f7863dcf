// Deterministic synthetic fax pages for unit tests: glyph-like blocks, rules, noise, solid areas
// and edge cases (black first/last pixel, one-pixel runs, long runs) from a seeded generator.
import { createBitmap, type Bitmap, type FaxPage } from '../../../src/documents/page.ts';

export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

export function setPixel(bitmap: Bitmap, x: number, y: number): void {
  bitmap.data[y * bitmap.rowBytes + (x >> 3)]! |= 0x80 >> (x & 7);
}

export function fillRect(bitmap: Bitmap, x0: number, y0: number, x1: number, y1: number): void {
  for (let y = Math.max(0, y0); y < Math.min(bitmap.height, y1); y++) {
    for (let x = Math.max(0, x0); x < Math.min(bitmap.width, x1); x++) setPixel(bitmap, x, y);
  }
}

export function syntheticPage(width: number, height: number, seed = 1): FaxPage {
  const bitmap = createBitmap(width, height);
  const random = seededRandom(seed);
  // "Text": rows of small blocks of varying width.
  for (let line = 20; line + 12 < height * 0.6; line += 18) {
    for (let x = 30; x < width - 40; x += 3 + Math.floor(random() * 9)) {
      const w = 1 + Math.floor(random() * 6);
      fillRect(bitmap, x, line + Math.floor(random() * 3), x + w, line + 8 + Math.floor(random() * 4));
    }
  }
  // Noise band: the worst case for run-length coding.
  for (let y = Math.floor(height * 0.6); y < Math.floor(height * 0.7); y++) {
    for (let x = 0; x < width; x++) if (random() < 0.5) setPixel(bitmap, x, y);
  }
  // Solid area to the right edge, rules touching both edges, single pixels at the edges.
  fillRect(bitmap, width - 300, Math.floor(height * 0.75), width, Math.floor(height * 0.8));
  fillRect(bitmap, 0, height - 5, width, height - 3);
  for (let y = 0; y < height; y += 7) {
    setPixel(bitmap, 0, y);
    setPixel(bitmap, width - 1, y);
  }
  return { ...bitmap, resolution: 'fine' };
}
