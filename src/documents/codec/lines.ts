// Scan lines as run boundaries ("changing elements"): the positions where the colour changes,
// starting from white, followed by SENTINELS entries equal to the width. Both coding directions
// work on these arrays and touch whole bytes, never single pixels, so a mostly white line costs
// a few byte comparisons.

/**
 * Entries equal to the width after the last change: b1/b2 searches that step by two past the
 * end (b2 = the entry after b1) always land on one.
 */
export const SENTINELS = 4;

/** Room for a line of `width` pixels: every pixel may change colour, one more at the end, the sentinels, slack. */
export function changesCapacity(width: number): number {
  return width + 8;
}

/**
 * A 32-bit view of a bitmap's bytes for `rowToChanges` to skip four white (or black) bytes at a
 * time, or null when the buffer is not 4-byte aligned.
 */
export function wordView(data: Uint8Array): Int32Array | null {
  return data.byteOffset % 4 === 0 ? new Int32Array(data.buffer, data.byteOffset, data.length >>> 2) : null;
}

/**
 * Fills `out` with the changing elements of one packed row (MSB first, 1 = black) and returns
 * their count, followed by the sentinels. Each byte is read once: its bits that differ from the
 * pixel before them (the first from the colour so far) are its changes, taken MSB first; whole
 * words of the current colour are skipped.
 */
export function rowToChanges(
  data: Uint8Array,
  words: Int32Array | null,
  offset: number,
  width: number,
  out: Int32Array,
): number {
  let count = 0;
  let color = 0; // of the last pixel read: 0 white, 1 black
  const rowEnd = offset + ((width + 7) >>> 3);
  for (let index = offset; index < rowEnd; index++) {
    // A word of the current colour is 0 when white, all ones (-1) when black.
    if (words !== null && (index & 3) === 0) {
      while (index + 4 <= rowEnd && words[index >>> 2] === -color) index += 4;
      if (index >= rowEnd) break;
    }
    const byte = data[index]!;
    let changes = byte ^ ((byte >>> 1) | (color << 7));
    if (changes === 0) continue;
    // clz32 of a byte is 24 + the bit's position from the left.
    const base = ((index - offset) << 3) - 24;
    do {
      const lead = Math.clz32(changes);
      out[count++] = base + lead;
      changes ^= 0x80000000 >>> lead;
    } while (changes !== 0);
    color = byte & 1;
  }
  // Padding bits beyond the width are white: after a black last pixel they add one change.
  if (count > 0 && out[count - 1]! >= width) count--;
  return endLine(out, count, width);
}

/** Writes the sentinels after a line's `count` changes (explicit stores: cheaper than fill()). */
export function endLine(changes: Int32Array, count: number, width: number): number {
  changes[count] = width;
  changes[count + 1] = width;
  changes[count + 2] = width;
  changes[count + 3] = width;
  return count;
}

/**
 * The index of b1 in a reference line: its first changing element right of a0 whose colour is
 * the opposite of a0's (`color`). Even indexes are white-to-black changes, so b1's index has the
 * parity of `color`. Starting from the previous b1: fix the parity, step back while still right
 * of a0 (a1 may lie left of the last b1), then forward in steps of two. b2 is the next entry.
 */
export function findB1(ref: Int32Array, previous: number, a0: number, color: number): number {
  let bi = previous;
  if ((bi & 1) !== color) bi = bi > 0 ? bi - 1 : 1;
  while (bi >= 2 && ref[bi - 2]! > a0) bi -= 2;
  while (ref[bi]! <= a0) bi += 2;
  return bi;
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
