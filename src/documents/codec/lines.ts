// Scan lines as run boundaries ("changing elements"): the positions where the colour changes,
// starting from white, followed by three sentinels equal to the width. Both coding directions
// work on these arrays and touch whole bytes, never single pixels, so a mostly white line costs
// a few byte comparisons.

/** Room for a line of `width` pixels: every pixel may change colour, one more at the end, the sentinels, slack. */
export function changesCapacity(width: number): number {
  return width + 8;
}

/**
 * Fills `out` with the changing elements of one packed row (MSB first, 1 = black) and returns
 * their count; `out[count..count+2]` are set to `width` as sentinels.
 */
export function rowToChanges(data: Uint8Array, offset: number, width: number, out: Int32Array): number {
  let count = 0;
  let x = 0;
  let invert = 0; // 0 while looking for black (current colour white), 0xff for white
  const rowEnd = offset + ((width + 7) >>> 3);
  while (x < width) {
    let index = offset + (x >>> 3);
    let byte = (data[index]! ^ invert) & (0xff >>> (x & 7));
    while (byte === 0) {
      index++;
      if (index >= rowEnd) break;
      byte = data[index]! ^ invert;
    }
    if (byte === 0) break;
    x = ((index - offset) << 3) + Math.clz32(byte) - 24;
    if (x >= width) break;
    out[count++] = x;
    invert ^= 0xff;
  }
  out[count] = width;
  out[count + 1] = width;
  out[count + 2] = width;
  return count;
}

/** Paints the black spans described by `changes[0..count)` into a zeroed row. */
export function changesToRow(
  changes: Int32Array,
  count: number,
  width: number,
  data: Uint8Array,
  offset: number,
): void {
  for (let i = 0; i < count; i += 2) {
    const start = changes[i]!;
    const end = i + 1 < count ? changes[i + 1]! : width;
    if (end > start) fillBlack(data, offset, start, end);
  }
}

function fillBlack(data: Uint8Array, offset: number, start: number, end: number): void {
  let index = offset + (start >>> 3);
  const last = offset + ((end - 1) >>> 3);
  const firstMask = 0xff >>> (start & 7);
  const lastMask = (0xff00 >>> (((end - 1) & 7) + 1)) & 0xff;
  if (index === last) {
    data[index]! |= firstMask & lastMask;
    return;
  }
  data[index]! |= firstMask;
  for (index++; index < last; index++) data[index] = 0xff;
  data[last]! |= lastMask;
}

/** Swaps black and white in packed rows, keeping the bits beyond `width` zero. */
export function invertPixels(data: Uint8Array, width: number, rowBytes: number): void {
  for (let i = 0; i < data.length; i++) data[i] = ~data[i]! & 0xff;
  clearPadding(data, width, rowBytes);
}

/** Zeroes the bits beyond `width` in every row (bitmapsEqual relies on them being zero). */
export function clearPadding(data: Uint8Array, width: number, rowBytes: number): void {
  if (width % 8 === 0) return;
  const mask = (0xff00 >>> (width % 8)) & 0xff;
  for (let i = rowBytes - 1; i < data.length; i += rowBytes) data[i]! &= mask;
}
