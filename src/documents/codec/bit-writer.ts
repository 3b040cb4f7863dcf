// Writes codes MSB first through a 32-bit accumulator: a code is shifted in and whole bytes are
// flushed, so a run costs a shift, an or and at most three byte stores.
import { LONG_RUN, MAKEUP_2560_BITS, MAKEUP_2560_CODE, MAX_MAKEUP, type RunCodes } from './tables.ts';

export interface WriterMark {
  readonly length: number;
  readonly acc: number;
  readonly bits: number;
}

export class BitWriter {
  // Public so the 2D line coder can hold them in locals for a line (see encode2D).
  buffer: Uint8Array;
  length = 0;
  acc = 0;
  bits = 0;

  constructor(initialBytes: number) {
    this.buffer = new Uint8Array(Math.max(64, initialBytes));
  }

  get bitLength(): number {
    return this.length * 8 + this.bits;
  }

  /** Makes room for at least `bytes` more bytes. */
  reserve(bytes: number): void {
    if (this.length + bytes + 4 <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + bytes + 4));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  /** Appends `count` (0..25) bits of `code`: at most 7 bits wait in the accumulator, 7 + 25 = 32. */
  put(code: number, count: number): void {
    this.acc = (this.acc << count) | code;
    this.bits += count;
    while (this.bits >= 8) {
      this.bits -= 8;
      this.buffer[this.length++] = this.acc >>> this.bits;
    }
  }

  putZeros(count: number): void {
    for (let left = count; left > 0; left -= 24) this.put(0, Math.min(24, left));
  }

  /** A white or black run; runs of 2624 and more first emit 2560-pixel make-up codes (T.4 4.1.1). */
  putRun(codes: RunCodes, run: number): void {
    let left = run;
    while (left >= LONG_RUN) {
      this.put(MAKEUP_2560_CODE, MAKEUP_2560_BITS);
      left -= MAX_MAKEUP;
    }
    const packed = codes[left]!;
    this.put(packed >>> 5, packed & 31);
  }

  padToByte(): void {
    if (this.bits > 0) this.put(0, 8 - this.bits);
  }

  mark(): WriterMark {
    return { length: this.length, acc: this.acc, bits: this.bits };
  }

  /** Forgets everything written after `mark` (to try another coding of a line). */
  rewind(mark: WriterMark): void {
    this.length = mark.length;
    this.acc = mark.acc;
    this.bits = mark.bits;
  }

  /** The bytes written so far (the final partial byte padded with zeros). */
  finish(): Uint8Array {
    this.padToByte();
    return this.buffer.slice(0, this.length);
  }
}

/** Bits `putRun` would write for this run. */
export function runBits(codes: RunCodes, run: number): number {
  let left = run;
  let bits = 0;
  while (left >= LONG_RUN) {
    bits += MAKEUP_2560_BITS;
    left -= MAX_MAKEUP;
  }
  return bits + (codes[left]! & 31);
}
