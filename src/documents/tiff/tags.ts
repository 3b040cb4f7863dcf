// TIFF 6.0 tag numbers and values used by TIFF Class F (fax) files.
export const TAG = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  Photometric: 262,
  FillOrder: 266,
  StripOffsets: 273,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  XResolution: 282,
  YResolution: 283,
  PlanarConfiguration: 284,
  T4Options: 292,
  T6Options: 293,
  ResolutionUnit: 296,
  PageNumber: 297,
  Software: 305,
  DateTime: 306,
  TileWidth: 322,
  BadFaxLines: 326,
  CleanFaxData: 327,
  ConsecutiveBadFaxLines: 328,
} as const;

export const COMPRESSION = { none: 1, ccittRle: 2, t4: 3, t6: 4 } as const;

/** T4Options bits: 0 two-dimensional coding, 1 uncompressed mode used, 2 EOLs byte aligned. */
export const T4_2D = 1;
export const T4_UNCOMPRESSED = 2;
export const T4_FILL_BITS = 4;

export const PHOTOMETRIC_WHITE_IS_ZERO = 0;
export const PHOTOMETRIC_BLACK_IS_ZERO = 1;

/** CleanFaxData values. */
export const CLEAN_FAX = { clean: 0, regenerated: 1, unclean: 2 } as const;

export const RESOLUTION_UNIT = { none: 1, inch: 2, centimeter: 3 } as const;

/** Field types and their sizes in bytes. */
export const TYPE = { BYTE: 1, ASCII: 2, SHORT: 3, LONG: 4, RATIONAL: 5 } as const;
export const TYPE_SIZES: Readonly<Record<number, number>> = {
  1: 1, // BYTE
  2: 1, // ASCII
  3: 2, // SHORT
  4: 4, // LONG
  5: 8, // RATIONAL
  6: 1, // SBYTE
  7: 1, // UNDEFINED
  8: 2, // SSHORT
  9: 4, // SLONG
  10: 8, // SRATIONAL
  11: 4, // FLOAT
  12: 8, // DOUBLE
  13: 4, // IFD
};
