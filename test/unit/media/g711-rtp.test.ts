import { describe, expect, it } from 'vitest';
import {
  decodeRtp,
  encodeRtp,
  g711Decode,
  g711Encode,
  JitterBuffer,
  RtpDecodeError,
} from '../../../src/media/index.ts';

describe('G.711', () => {
  it('matches the ITU reference code points', () => {
    // µ-law: 0 → 0xFF, full scale positive → 0x80; A-law: small positive → 0xD5.
    expect([...g711Encode('pcmu', Int16Array.of(0, 32767, -32768))]).toEqual([0xff, 0x80, 0x00]);
    expect([...g711Encode('pcma', Int16Array.of(1, -1))]).toEqual([0xd5, 0x55]);
    expect([...g711Decode('pcmu', Uint8Array.of(0xff, 0x80, 0x00))]).toEqual([0, 32124, -32124]);
    expect([...g711Decode('pcma', Uint8Array.of(0xd5, 0x2a))]).toEqual([8, -32256]);
  });

  it.each(['pcmu', 'pcma'] as const)('%s decode∘encode is the identity on every code', (law) => {
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const again = g711Encode(law, g711Decode(law, codes));
    // µ-law has two codes for zero (0x7F and 0xFF); everything else must map back to itself.
    const mismatches = [...codes].filter((c, i) => again[i] !== c && !(law === 'pcmu' && c === 0x7f));
    expect(mismatches).toEqual([]);
  });

  it('keeps quantisation error within the segment step (signal-to-noise of a tone)', () => {
    const tone = Int16Array.from({ length: 800 }, (_, i) =>
      Math.round(8000 * Math.sin((2 * Math.PI * 1800 * i) / 8000)),
    );
    for (const law of ['pcmu', 'pcma'] as const) {
      const back = g711Decode(law, g711Encode(law, tone));
      let signal = 0;
      let noise = 0;
      tone.forEach((s, i) => {
        signal += s * s;
        noise += (s - back[i]!) ** 2;
      });
      expect(10 * Math.log10(signal / noise)).toBeGreaterThan(30);
    }
  });
});

describe('RTP', () => {
  it('round-trips a packet and skips CSRCs and padding', () => {
    const bytes = encodeRtp({
      payloadType: 8,
      seq: 65535,
      timestamp: 0xfffffff0,
      ssrc: 0xdeadbeef,
      marker: true,
      payload: Uint8Array.of(1, 2, 3),
    });
    expect(decodeRtp(bytes)).toMatchObject({
      payloadType: 8,
      seq: 65535,
      timestamp: 0xfffffff0,
      ssrc: 0xdeadbeef,
      marker: true,
    });
    const withCsrcAndPadding = Uint8Array.of(0xa1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 9, 9, 9, 9, 7, 7, 0, 2);
    expect([...decodeRtp(withCsrcAndPadding).payload]).toEqual([7, 7]);
  });

  it.each([
    ['short', new Uint8Array(5)],
    ['wrong version', new Uint8Array(12)],
    ['header past the end', Uint8Array.of(0x8f, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1)],
  ])('rejects a %s packet', (_n, bytes) => {
    expect(() => decodeRtp(bytes)).toThrow(RtpDecodeError);
  });

  it('jitter buffer plays in order after its depth and reports a lost frame as a gap', () => {
    const jb = new JitterBuffer(2);
    jb.push(10, Uint8Array.of(10));
    jb.push(12, Uint8Array.of(12));
    jb.push(11, Uint8Array.of(11)); // reordered
    jb.push(14, Uint8Array.of(14)); // 13 lost
    const played = Array.from({ length: 7 }, () => jb.pop());
    expect(played.map((p) => (p.priming ? 'prime' : (p.payload?.[0] ?? 'gap')))).toEqual([
      'prime',
      'prime',
      10,
      11,
      12,
      'gap',
      14,
    ]);
    jb.push(12, Uint8Array.of(12)); // far too late
    expect(jb.stats.late).toBe(1);
  });
});
