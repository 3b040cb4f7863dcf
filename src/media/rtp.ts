// RTP (RFC 3550) for G.711 fax audio: packet encode/decode with limits, and a fixed-depth jitter
// buffer that releases one 20 ms frame per tick in sequence order and reports a gap (for SpanDSP's
// fill-in) when a packet never came. Fixed depth because fax modems need constant delay, not the
// lowest delay; CSRC lists and header extensions are skipped, padding is honoured.
import { TerminalError } from '../../cluster/index.ts';

export const MAX_RTP_PACKET = 1500;

export class RtpDecodeError extends TerminalError {}

export interface RtpPacket {
  readonly payloadType: number;
  readonly seq: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly marker: boolean;
  readonly payload: Uint8Array;
}

export function encodeRtp(p: RtpPacket): Uint8Array {
  const out = new Uint8Array(12 + p.payload.length);
  const view = new DataView(out.buffer);
  out[0] = 0x80;
  out[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  view.setUint16(2, p.seq & 0xffff);
  view.setUint32(4, p.timestamp >>> 0);
  view.setUint32(8, p.ssrc >>> 0);
  out.set(p.payload, 12);
  return out;
}

export function decodeRtp(data: Uint8Array): RtpPacket {
  if (data.length < 12 || data.length > MAX_RTP_PACKET)
    throw new RtpDecodeError(`RTP packet of ${data.length} bytes`);
  const first = data[0] ?? 0;
  if (first >> 6 !== 2) throw new RtpDecodeError(`RTP version ${first >> 6} is not 2`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = 12 + (first & 0x0f) * 4;
  if (first & 0x10) {
    if (offset + 4 > data.length) throw new RtpDecodeError('RTP header extension truncated');
    offset += 4 + view.getUint16(offset + 2) * 4;
  }
  let end = data.length;
  if (first & 0x20) end -= data[data.length - 1] ?? 0;
  if (offset > end) throw new RtpDecodeError('RTP header longer than the packet');
  const second = data[1] ?? 0;
  return {
    payloadType: second & 0x7f,
    marker: (second & 0x80) !== 0,
    seq: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    payload: data.subarray(offset, end),
  };
}

/** Holds packets `depth` frames before playing them, so late packets still arrive in time. */
export class JitterBuffer {
  private readonly slots = new Map<number, Uint8Array>();
  private next: number | undefined;
  private buffered = 0;
  private readonly depth: number;
  readonly stats = { received: 0, played: 0, lost: 0, late: 0, duplicates: 0 };

  constructor(depth = 3) {
    this.depth = depth;
  }

  push(seq: number, payload: Uint8Array): void {
    this.stats.received += 1;
    if (this.next !== undefined && ((seq - this.next) & 0xffff) >= 0x8000) {
      this.stats.late += 1;
      return;
    }
    if (this.slots.has(seq)) {
      this.stats.duplicates += 1;
      return;
    }
    if (this.slots.size >= 64) return; // a flood, not a jitter: keep memory bounded
    this.slots.set(seq, payload);
    if (this.next === undefined) this.next = seq;
  }

  /** The next frame's payload; `undefined` means lost (use fill-in) or still priming. */
  pop(): { payload: Uint8Array | undefined; priming: boolean } {
    if (this.next === undefined || this.buffered < this.depth) {
      if (this.next !== undefined) this.buffered += 1;
      return { payload: undefined, priming: true };
    }
    const payload = this.slots.get(this.next);
    this.slots.delete(this.next);
    this.next = (this.next + 1) & 0xffff;
    if (payload) this.stats.played += 1;
    else this.stats.lost += 1;
    return { payload, priming: false };
  }
}
