// Reads a T.4/T.6 bit stream MSB first. The input is copied once into a zero-padded buffer (bit
// reversed for FillOrder 2), so peeking up to 24 bits never needs a bounds check: past the end it
// reads zeros, which no run or mode code consists of, so decoding stops there by itself. The
// line decoders keep the bit position in a local and use the free functions below.
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
    return peekBits(this.data, pos, bits);
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
}

/** `bits` (1..24) bits at bit position `pos` of a padded buffer, MSB first. */
export function peekBits(data: Uint8Array, pos: number, bits: number): number {
  const i = pos >>> 3;
  const word = (data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!;
  return (word << (pos & 7)) >>> (32 - bits);
}

/** Up to 17 bits at `pos` from three bytes (run codes: at most 13 bits). */
export function peekShort(data: Uint8Array, pos: number, bits: number): number {
  const i = pos >>> 3;
  const window = ((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!) << (pos & 7);
  return (window & 0xffffff) >>> (24 - bits);
}

/** Bits that `peekWindow` always holds: 24 read, less up to 7 already used of the first byte. */
export const WINDOW_BITS = 17;

/** The bits from `pos` on, left-aligned in a 32-bit number (the bit at `pos` is the sign bit). */
export function peekWindow(data: Uint8Array, pos: number): number {
  const i = pos >>> 3;
  return ((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!) << (8 + (pos & 7));
}

/** Shift that packs a run's bit count below its length in `readRunAt`'s result. */
export const RUN_SHIFT = 12;
export const CONSUMED_MASK = (1 << RUN_SHIFT) - 1;

/**
 * One run of white (color 0) or black (1) at `pos`: make-up codes, then a terminating code.
 * Returns `run << RUN_SHIFT | bitsConsumed` (a run never exceeds the width, so the bits fit),
 * or -1 when no valid code starts there or the run is longer than the line.
 */
export function readRunAt(data: Uint8Array, pos: number, color: number, width: number): number {
  const table = color === 0 ? WHITE_LOOKUP : BLACK_LOOKUP;
  const peek = color === 0 ? WHITE_PEEK_BITS : BLACK_PEEK_BITS;
  let run = 0;
  let p = pos;
  for (;;) {
    const entry = table[peekShort(data, p, peek)]!;
    if (entry === 0) return -1;
    p += entry & 31;
    const value = entry >>> 5;
    run += value;
    if (value < 64) return p - pos > CONSUMED_MASK ? -1 : (run << RUN_SHIFT) | (p - pos);
    if (run > width) return -1;
  }
}
