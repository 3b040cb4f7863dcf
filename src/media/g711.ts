// G.711 µ-law and A-law (ITU-T G.711) between 8-bit codes and 16-bit linear samples, by lookup
// tables built once at load from the segment/quantisation rules. Encoding uses a 64 Ki-entry table
// per law so a 160-sample frame costs 160 array reads.

export type G711Law = 'pcmu' | 'pcma';

/** RTP static payload types (RFC 3551). */
export const G711_PAYLOAD_TYPE: Readonly<Record<G711Law, number>> = { pcmu: 0, pcma: 8 };

const ULAW_BIAS = 0x84;
const ULAW_CLIP = 32635;

function ulawEncodeSample(sample: number): number {
  let sign = 0;
  if (sample < 0) {
    sample = -sample;
    sign = 0x80;
  }
  if (sample > ULAW_CLIP) sample = ULAW_CLIP;
  sample += ULAW_BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (sample & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (sample >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function ulawDecodeCode(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
  return u & 0x80 ? -magnitude : magnitude;
}

function alawEncodeSample(sample: number): number {
  let sign = 0x80;
  if (sample < 0) {
    sample = -sample - 1;
    sign = 0x00;
  }
  if (sample > 32767) sample = 32767;
  let code: number;
  if (sample < 256) {
    code = sample >> 4;
  } else {
    let exponent = 1;
    for (let v = sample >> 8; v > 1; v >>= 1) exponent++;
    code = (exponent << 4) | ((sample >> (exponent + 3)) & 0x0f);
  }
  return (sign | code) ^ 0x55;
}

function alawDecodeCode(code: number): number {
  const a = code ^ 0x55;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  let magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  if ((a & 0x80) === 0) magnitude = -magnitude;
  return magnitude;
}

function buildTables(encode: (s: number) => number, decode: (c: number) => number) {
  const enc = new Uint8Array(65536);
  for (let i = 0; i < 65536; i++) enc[i] = encode(i < 32768 ? i : i - 65536);
  const dec = new Int16Array(256);
  for (let c = 0; c < 256; c++) dec[c] = decode(c);
  return { enc, dec };
}

const TABLES: Readonly<Record<G711Law, { enc: Uint8Array; dec: Int16Array }>> = {
  pcmu: buildTables(ulawEncodeSample, ulawDecodeCode),
  pcma: buildTables(alawEncodeSample, alawDecodeCode),
};

export function g711Encode(
  law: G711Law,
  samples: Int16Array,
  out: Uint8Array = new Uint8Array(samples.length),
): Uint8Array {
  const enc = TABLES[law].enc;
  for (let i = 0; i < samples.length; i++) out[i] = enc[(samples[i] ?? 0) & 0xffff] ?? 0;
  return out;
}

export function g711Decode(
  law: G711Law,
  codes: Uint8Array,
  out: Int16Array = new Int16Array(codes.length),
): Int16Array {
  const dec = TABLES[law].dec;
  for (let i = 0; i < codes.length; i++) out[i] = dec[codes[i] ?? 0] ?? 0;
  return out;
}
