// T.4 / T.6 codec: MH, MR, MMR and TIFF CCITT RLE, encode and decode, on Bitmaps.
export { decodePage, type DecodeOptions, type DecodeResult } from './decode.ts';
export { encodePage, type EncodeOptions } from './encode.ts';
export {
  DEFAULT_CODEC_LIMITS,
  DEFAULT_DOCUMENT_LIMITS,
  type CodecLimits,
  type DocumentLimits,
  type CodingScheme,
  type FillOrder,
} from './options.ts';
