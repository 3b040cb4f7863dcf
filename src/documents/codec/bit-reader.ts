// Reads a T.4/T.6 bit stream MSB first. The input is copied once into a zero-padded buffer (bit
// reversed for FillOrder 2), so peeking up to 24 bits never needs a bounds check: past the end it
// reads zeros, which no run or mode code consists of, so decoding stops there by itself.
import { BIT_REVERSE, BLACK_LOOKUP, BLACK_PEEK_BITS, WHITE_LOOKUP, WHITE_PEEK_BITS } from './tables.ts';

const PADDING_BYTES = 8;

export class BitReader {
  readonly data: Uint8Array;
  /** Number of real bits; positions beyond it read as zero. */
  readonly endBit: number;
  pos = 0;

  constructor(input: Uint8Array, lsbFirst: boolean) {
    const data = new Uint8Array(input.length + PADDING_BYTES);
    if (lsbFirst) for (let i = 0; i < input.length; i++) data[i] = BIT_REVERSE[input[i]!]!;
    else data.set(input);
    this.data = data;
    this.endBit = input.length * 8;
  }

  get atEnd(): boolean {
    return this.pos >= this.endBit;
  }

  /** The next `bits` (1..24) bits without consuming them. */
  peek(bits: number): number {
    return this.peekAt(this.pos, bits);
  }

  peekAt(pos: number, bits: number): number {
    const d = this.data;
    const i = pos >>> 3;
    const word = (d[i]! << 24) | (d[i + 1]! << 16) | (d[i + 2]! << 8) | d[i + 3]!;
    return (word << (pos & 7)) >>> (32 - bits);
  }

  readBit(): number {
    const bit = this.peek(1);
    this.pos++;
    return bit;
  }

  alignToByte(): void {
    this.pos = (this.pos + 7) & ~7;
  }

  /** Zero bits starting at `pos`, counted up to the end of the data. */
  zerosAt(pos: number): number {
    let p = pos;
    while (p < this.endBit) {
      const window = this.peekAt(p, 24);
      if (window !== 0) return Math.min(p + Math.clz32(window) - 8, this.endBit) - pos;
      p += 24;
    }
    return this.endBit - pos;
  }

  /** True when an EOL (at least 11 zeros, then a one) starts here; fill zeros are part of it. */
  atEol(): boolean {
    const zeros = this.zerosAt(this.pos);
    return zeros >= 11 && this.pos + zeros < this.endBit;
  }

  /** Consumes an EOL with any fill before it, if one starts here. */
  readEol(): boolean {
    const zeros = this.zerosAt(this.pos);
    if (zeros < 11 || this.pos + zeros >= this.endBit) return false;
    this.pos += zeros + 1;
    return true;
  }

  /** Skips to just after the next EOL (resynchronisation); false when the data ends first. */
  seekEol(): boolean {
    let p = this.pos;
    for (;;) {
      const zeros = this.zerosAt(p);
      p += zeros;
      if (p >= this.endBit) {
        this.pos = this.endBit;
        return false;
      }
      p++;
      if (zeros >= 11) {
        this.pos = p;
        return true;
      }
    }
  }

  /** One run of white (color 0) or black (1): make-up codes plus a terminating code; -1 if invalid. */
  readRun(color: number, width: number): number {
    let run = 0;
    for (;;) {
      const entry =
        color === 0 ? WHITE_LOOKUP[this.peek(WHITE_PEEK_BITS)]! : BLACK_LOOKUP[this.peek(BLACK_PEEK_BITS)]!;
      if (entry === 0) return -1;
      this.pos += entry & 31;
      const value = entry >>> 5;
      run += value;
      if (value < 64) return run;
      if (run > width) return -1;
    }
  }
}
