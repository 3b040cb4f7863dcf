// Scan lines as run boundaries ("changing elements"): the positions where the colour changes,
// starting from white, followed by SENTINELS entries equal to the width. Both coding directions
// work on these arrays and touch whole words or bytes, never single pixels, so a mostly white line
// costs a few word comparisons.

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
 * Fills `out` with the changing elements of one packed row (MSB first, 1 = black) and returns
 * their count, followed by the sentinels. The row is read 32 pixels at a time as a big-endian
 * word (DataView loads compile to one load and a byte swap): each change is then a `clz32`, a
 * flip and a mask in registers. Byte-wise scanning cost 2.5× as much on text pages, whose runs
 * are a few pixels long, because whether the next change lay in the same byte was unpredictable.
 */
export function rowToChanges(view: DataView, offset: number, width: number, out: Int32Array): number {
  const fullWords = width >>> 5;
  let count = 0;
  for (let w = 0; w < fullWords; w++) {
    count = wordChanges(view.getInt32(offset + w * 4, false), -1, w << 5, out, count);
  }
  const tailBits = width & 31;
  if (tailBits !== 0) {
    // The row's last bytes may end the buffer: read only those that belong to the row.
    const at = offset + fullWords * 4;
    let tail = 0;
    for (let i = 0; i < (tailBits + 7) >>> 3; i++) tail |= view.getUint8(at + i) << (24 - 8 * i);
    count = wordChanges(tail, ~(-1 >>> tailBits), fullWords << 5, out, count);
  }
  return endLine(out, count, width);
}

/**
 * Appends the changes inside one 32-pixel word whose first pixel is `base`; `mask` keeps the
 * pixels that belong to the row. The colour before the word follows from the count so far
 * (even: white), which keeps the state in one number.
 */
function wordChanges(raw: number, mask: number, base: number, out: Int32Array, count: number): number {
  let changes = count;
  let word = (raw ^ -(changes & 1)) & mask;
  while (word !== 0) {
    const bit = Math.clz32(word);
    out[changes++] = base + bit;
    // From here on the other colour is looked for: flip, and forget the pixels up to the change.
    word = ~word & mask & (-1 >>> bit);
  }
  return changes;
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
 * the opposite of a0's. Even indexes are white-to-black changes, so b1's index has the parity of
 * a0's colour, which `previous` (the last b1 index, moved on by one per change coded since) already
 * has: the coders move it and the colour together. Step back while still right of a0 (a1 may lie
 * left of the last b1), then forward in steps of two. b2 is the next entry.
 */
export function findB1(ref: Int32Array, previous: number, a0: number): number {
  let bi = previous;
  while (bi >= 2 && ref[bi - 2]! > a0) bi -= 2;
  while (ref[bi]! <= a0) bi += 2;
  return bi;
}

/**
 * Paints the black spans described by a line's `count` changes into a zeroed row. A line ending
 * black ends at the sentinel after its last change (the width). Two spans per turn: V8 checks
 * the arrays again on every turn of a loop that stores, and that check was a tenth of the time.
 */
export function changesToRow(changes: Int32Array, count: number, data: Uint8Array, offset: number): void {
  let i = 0;
  for (; i + 2 < count; i += 4) {
    const start = changes[i]!;
    const end = changes[i + 1]!;
    const start2 = changes[i + 2]!;
    const end2 = changes[i + 3]!;
    if (end > start) fillBlack(data, offset, start, end);
    if (end2 > start2) fillBlack(data, offset, start2, end2);
  }
  if (i < count) {
    const start = changes[i]!;
    const end = changes[i + 1]!;
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
