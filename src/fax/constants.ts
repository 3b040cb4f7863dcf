// SpanDSP 0.0.6 constants the engine passes through the addon (values from /usr/include/spandsp/
// t30.h, t30_fcf.h, t4_rx.h, modem_connect_tones.h). Plain `as const` objects: no enums (type
// stripping), and the bit values must match the installed headers exactly.

export const T30_MODEMS = { v27ter: 0x01, v29: 0x02, v17: 0x04 } as const;
export type FaxModem = keyof typeof T30_MODEMS;

export const T30_COMPRESSIONS = { mh: 0x02, mr: 0x04, mmr: 0x08 } as const;
export type FaxCompression = keyof typeof T30_COMPRESSIONS;

export const T30_RESOLUTIONS = { standard: 0x01, fine: 0x02, superfine: 0x04 } as const;

/** T.30 frame types (FCF, with the direction bit cleared) the engine reacts to. */
export const T30_FRAMES = {
  DIS: 0x80,
  DCS: 0x82,
  MPS: 0x4e,
  EOP: 0x2e,
  EOM: 0x8e,
  PPS: 0xbe,
  MCF: 0x8c,
  RTP: 0xcc,
  RTN: 0x4c,
  PIP: 0xac,
  PIN: 0x2c,
  DCN: 0xfa,
} as const;

/** Responses by which a receiver accepts the page just sent (RTP and PIP accept it too). */
export const PAGE_CONFIRMATIONS: ReadonlySet<number> = new Set([
  T30_FRAMES.MCF,
  T30_FRAMES.RTP,
  T30_FRAMES.PIP,
]);

export const T4_ENCODINGS: Readonly<Record<number, 'none' | 'MH' | 'MR' | 'MMR'>> = {
  0: 'none',
  1: 'MH',
  2: 'MR',
  3: 'MMR',
};

/** Vertical resolution in pixels per metre, as SpanDSP reports it. */
export const Y_RESOLUTION_PPM = { standard: 3850, fine: 7700, superfine: 15400 } as const;

/** `modem_connect_tones_rx` tone types and reports. */
export const CONNECT_TONES = {
  none: 0,
  cng: 1,
  ans: 2,
  ansPr: 3,
  ansam: 4,
  ansamPr: 5,
  faxPreamble: 6,
  cedOrPreamble: 7,
} as const;

/** One 20 ms frame at 8 kHz. */
export const SAMPLES_PER_TICK = 160;
export const TICK_MS = 20;
