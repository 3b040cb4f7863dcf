// The T.4 code tables (ITU-T T.4 tables 1-4) and the lookup tables built from them once at load:
// the decoder peeks 12/13 bits and reads run length and code length from one array entry, the
// encoder reads a run's code and length from two typed arrays. No per-bit tree walking anywhere.

// [run length, code] — terminating codes 0..63, make-up codes 64..1728 per colour.
// prettier-ignore
const WHITE_CODES: readonly (readonly [number, string])[] = [
  [0, '00110101'], [1, '000111'], [2, '0111'], [3, '1000'], [4, '1011'], [5, '1100'], [6, '1110'],
  [7, '1111'], [8, '10011'], [9, '10100'], [10, '00111'], [11, '01000'], [12, '001000'],
  [13, '000011'], [14, '110100'], [15, '110101'], [16, '101010'], [17, '101011'], [18, '0100111'],
  [19, '0001100'], [20, '0001000'], [21, '0010111'], [22, '0000011'], [23, '0000100'],
  [24, '0101000'], [25, '0101011'], [26, '0010011'], [27, '0100100'], [28, '0011000'],
  [29, '00000010'], [30, '00000011'], [31, '00011010'], [32, '00011011'], [33, '00010010'],
  [34, '00010011'], [35, '00010100'], [36, '00010101'], [37, '00010110'], [38, '00010111'],
  [39, '00101000'], [40, '00101001'], [41, '00101010'], [42, '00101011'], [43, '00101100'],
  [44, '00101101'], [45, '00000100'], [46, '00000101'], [47, '00001010'], [48, '00001011'],
  [49, '01010010'], [50, '01010011'], [51, '01010100'], [52, '01010101'], [53, '00100100'],
  [54, '00100101'], [55, '01011000'], [56, '01011001'], [57, '01011010'], [58, '01011011'],
  [59, '01001010'], [60, '01001011'], [61, '00110010'], [62, '00110011'], [63, '00110100'],
  [64, '11011'], [128, '10010'], [192, '010111'], [256, '0110111'], [320, '00110110'],
  [384, '00110111'], [448, '01100100'], [512, '01100101'], [576, '01101000'], [640, '01100111'],
  [704, '011001100'], [768, '011001101'], [832, '011010010'], [896, '011010011'],
  [960, '011010100'], [1024, '011010101'], [1088, '011010110'], [1152, '011010111'],
  [1216, '011011000'], [1280, '011011001'], [1344, '011011010'], [1408, '011011011'],
  [1472, '010011000'], [1536, '010011001'], [1600, '010011010'], [1664, '011000'],
  [1728, '010011011'],
];

// prettier-ignore
const BLACK_CODES: readonly (readonly [number, string])[] = [
  [0, '0000110111'], [1, '010'], [2, '11'], [3, '10'], [4, '011'], [5, '0011'], [6, '0010'],
  [7, '00011'], [8, '000101'], [9, '000100'], [10, '0000100'], [11, '0000101'], [12, '0000111'],
  [13, '00000100'], [14, '00000111'], [15, '000011000'], [16, '0000010111'], [17, '0000011000'],
  [18, '0000001000'], [19, '00001100111'], [20, '00001101000'], [21, '00001101100'],
  [22, '00000110111'], [23, '00000101000'], [24, '00000010111'], [25, '00000011000'],
  [26, '000011001010'], [27, '000011001011'], [28, '000011001100'], [29, '000011001101'],
  [30, '000001101000'], [31, '000001101001'], [32, '000001101010'], [33, '000001101011'],
  [34, '000011010010'], [35, '000011010011'], [36, '000011010100'], [37, '000011010101'],
  [38, '000011010110'], [39, '000011010111'], [40, '000001101100'], [41, '000001101101'],
  [42, '000011011010'], [43, '000011011011'], [44, '000001010100'], [45, '000001010101'],
  [46, '000001010110'], [47, '000001010111'], [48, '000001100100'], [49, '000001100101'],
  [50, '000001010010'], [51, '000001010011'], [52, '000000100100'], [53, '000000110111'],
  [54, '000000111000'], [55, '000000100111'], [56, '000000101000'], [57, '000001011000'],
  [58, '000001011001'], [59, '000000101011'], [60, '000000101100'], [61, '000001011010'],
  [62, '000001100110'], [63, '000001100111'], [64, '0000001111'], [128, '000011001000'],
  [192, '000011001001'], [256, '000001011011'], [320, '000000110011'], [384, '000000110100'],
  [448, '000000110101'], [512, '0000001101100'], [576, '0000001101101'], [640, '0000001001010'],
  [704, '0000001001011'], [768, '0000001001100'], [832, '0000001001101'], [896, '0000001110010'],
  [960, '0000001110011'], [1024, '0000001110100'], [1088, '0000001110101'],
  [1152, '0000001110110'], [1216, '0000001110111'], [1280, '0000001010010'],
  [1344, '0000001010011'], [1408, '0000001010100'], [1472, '0000001010101'],
  [1536, '0000001011010'], [1600, '0000001011011'], [1664, '0000001100100'],
  [1728, '0000001100101'],
];

// Make-up codes 1792..2560 shared by both colours (T.4 table 3).
// prettier-ignore
const EXTENDED_MAKEUP_CODES: readonly (readonly [number, string])[] = [
  [1792, '00000001000'], [1856, '00000001100'], [1920, '00000001101'], [1984, '000000010010'],
  [2048, '000000010011'], [2112, '000000010100'], [2176, '000000010101'], [2240, '000000010110'],
  [2304, '000000010111'], [2368, '000000011100'], [2432, '000000011101'], [2496, '000000011110'],
  [2560, '000000011111'],
];

export const EOL_CODE = 0b000000000001;
export const EOL_BITS = 12;
export const MAX_MAKEUP = 2560;

/** Bits the decoder peeks for a run code: the longest white code is 12 bits, black 13. */
export const WHITE_PEEK_BITS = 12;
export const BLACK_PEEK_BITS = 13;

/**
 * Decoder table entry: `run << 5 | codeLength`; 0 means "no valid code starts here" (an EOL,
 * fill, or corruption). A run >= 64 is a make-up code: another code of the same colour follows.
 */
function buildRunLookup(codes: readonly (readonly [number, string])[], peekBits: number): Int32Array {
  const table = new Int32Array(1 << peekBits);
  for (const [run, code] of [...codes, ...EXTENDED_MAKEUP_CODES]) {
    const shift = peekBits - code.length;
    const base = parseInt(code, 2) << shift;
    for (let suffix = 0; suffix < 1 << shift; suffix++) table[base | suffix] = (run << 5) | code.length;
  }
  return table;
}

export const WHITE_LOOKUP = buildRunLookup(WHITE_CODES, WHITE_PEEK_BITS);
export const BLACK_LOOKUP = buildRunLookup(BLACK_CODES, BLACK_PEEK_BITS);

/** The 2560 make-up code (both colours) that long runs repeat before their final codes. */
export const MAKEUP_2560_CODE = 0b000000011111;
export const MAKEUP_2560_BITS = 12;

/** Runs shorter than this are coded as one make-up code (if >= 64) plus a terminating code. */
export const LONG_RUN = MAX_MAKEUP + 64;

/**
 * Encoder tables indexed by run length 0..LONG_RUN-1: the whole code of the run (make-up and
 * terminating code concatenated, at most 25 bits) packed as `code << 5 | length`, so a run is
 * one table load and one write.
 */
export type RunCodes = Int32Array;

function buildRunCodes(codes: readonly (readonly [number, string])[]): RunCodes {
  const byRun = new Map<number, string>([...codes, ...EXTENDED_MAKEUP_CODES]);
  const packed = new Int32Array(LONG_RUN);
  for (let run = 0; run < LONG_RUN; run++) {
    const makeup = run >= 64 ? byRun.get(run & ~63)! : '';
    const whole = makeup + byRun.get(run & 63)!;
    packed[run] = (parseInt(whole, 2) << 5) | whole.length;
  }
  return packed;
}

export const WHITE_RUN_CODES = buildRunCodes(WHITE_CODES);
export const BLACK_RUN_CODES = buildRunCodes(BLACK_CODES);

/**
 * A white run below 64 followed by a black run below 64 (most of a text line), as one code:
 * indexed by `white << 6 | black`, packed as `code << 5 | length` (at most 8 + 12 bits).
 */
export const SHORT_RUN_PAIR_CODES = (() => {
  const pairs = new Int32Array(64 * 64);
  for (let white = 0; white < 64; white++) {
    for (let black = 0; black < 64; black++) {
      const whiteCode = WHITE_RUN_CODES[white]!;
      const blackCode = BLACK_RUN_CODES[black]!;
      const code = ((whiteCode >>> 5) << (blackCode & 31)) | (blackCode >>> 5);
      pairs[(white << 6) | black] = (code << 5) | ((whiteCode & 31) + (blackCode & 31));
    }
  }
  return pairs;
})();

// Two-dimensional mode codes (T.4 table 4) for the encoder; the decoder tells them apart by their
// leading bits (decode2D).

/** Vertical mode codes indexed by a1 - b1 + 3 (VL3..VR3). */
export const VERTICAL_CODE = Uint8Array.from([0b0000010, 0b000010, 0b010, 0b1, 0b011, 0b000011, 0b0000011]);
export const VERTICAL_BITS = Uint8Array.from([7, 6, 3, 1, 3, 6, 7]);
export const PASS_CODE = 0b0001;
export const PASS_BITS = 4;
export const HORIZONTAL_CODE = 0b001;
export const HORIZONTAL_BITS = 3;

/** Reverses the bit order of every byte: FillOrder 2 (LSB first) ⇄ 1 (MSB first). */
export const BIT_REVERSE = (() => {
  const table = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    let r = 0;
    for (let b = 0; b < 8; b++) if (i & (1 << b)) r |= 0x80 >>> b;
    table[i] = r;
  }
  return table;
})();
