// UDPTL (ITU-T T.38 annex, aligned PER): the framing T.38 IFPs travel in over UDP, with error
// recovery by redundancy (the previous N IFPs ride along) or by FEC (XOR parity over spans). The
// sender keeps a short history; the receiver delivers IFPs in sequence order exactly once,
// recovering gaps from secondaries or parity. Limits: packets ≤ MAX_UDPTL_PACKET bytes, IFPs and
// FEC entries < 16384 bytes (no PER fragmentation), ≤ MAX_RECOVERY_ENTRIES recovery entries.
import { TerminalError } from '../../cluster/index.ts';

export const MAX_UDPTL_PACKET = 4096;
export const MAX_RECOVERY_ENTRIES = 32;
const HISTORY = 64; // power of two, ≥ the widest recovery window
const SEQ_MASK = 0xffff;

/** A UDPTL datagram that does not parse: the peer sent garbage or exceeded a limit. */
export class UdptlDecodeError extends TerminalError {}

export type ErrorCorrection =
  | { readonly mode: 'none' }
  | { readonly mode: 'redundancy'; readonly secondaries: number }
  | { readonly mode: 'fec'; readonly span: number; readonly entries: number };

export interface UdptlPacket {
  readonly seq: number;
  readonly primary: Uint8Array;
  /** Redundancy: the previous IFPs, most recent first (seq − 1, seq − 2, …). */
  readonly secondaries?: readonly Uint8Array[];
  /** FEC: entry m is the XOR of IFPs seq + m − span·entries + k·entries, k = 0 … span − 1. */
  readonly fec?: { readonly span: number; readonly entries: readonly Uint8Array[] };
}

function lengthBytes(length: number): number[] {
  if (length < 0x80) return [length];
  if (length < 0x4000) return [0x80 | (length >> 8), length & 0xff];
  throw new UdptlDecodeError(
    `UDPTL field of ${length} bytes needs PER fragmentation, which is not supported`,
  );
}

/** Writes into a buffer sized up front: encoding runs ~50 times a second per channel. */
class Writer {
  private readonly out: Uint8Array;
  private offset = 0;
  constructor(size: number) {
    this.out = new Uint8Array(size);
  }
  byte(value: number): void {
    this.out[this.offset++] = value & 0xff;
  }
  length(value: number): void {
    for (const b of lengthBytes(value)) this.byte(b);
  }
  openType(data: Uint8Array): void {
    this.length(data.length);
    this.out.set(data, this.offset);
    this.offset += data.length;
  }
  toBytes(): Uint8Array {
    return this.out.subarray(0, this.offset);
  }
}

function openTypeSize(data: Uint8Array): number {
  return data.length + (data.length < 0x80 ? 1 : 2);
}

class Reader {
  private offset = 0;
  private readonly data: Uint8Array;
  constructor(data: Uint8Array) {
    this.data = data;
  }
  byte(): number {
    const value = this.data[this.offset];
    if (value === undefined) throw new UdptlDecodeError(`UDPTL packet truncated at byte ${this.offset}`);
    this.offset += 1;
    return value;
  }
  length(): number {
    const first = this.byte();
    if ((first & 0x80) === 0) return first;
    if ((first & 0xc0) === 0x80) return ((first & 0x3f) << 8) | this.byte();
    throw new UdptlDecodeError('UDPTL length uses PER fragmentation, which is not supported');
  }
  openType(): Uint8Array {
    const length = this.length();
    if (this.offset + length > this.data.length) {
      throw new UdptlDecodeError(`UDPTL field of ${length} bytes overruns the packet`);
    }
    const field = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return field;
  }
  get done(): boolean {
    return this.offset >= this.data.length;
  }
}

export function encodeUdptl(packet: UdptlPacket): Uint8Array {
  const recovery = packet.fec?.entries ?? packet.secondaries ?? [];
  const size =
    2 + openTypeSize(packet.primary) + 1 + 3 + 2 + recovery.reduce((sum, e) => sum + openTypeSize(e), 0);
  const w = new Writer(size);
  w.byte(packet.seq >> 8);
  w.byte(packet.seq);
  w.openType(packet.primary);
  if (packet.fec) {
    w.byte(0x80);
    w.length(1); // fec-npackets is an unconstrained INTEGER: one content octet
    w.byte(packet.fec.span);
    w.length(packet.fec.entries.length);
    for (const entry of packet.fec.entries) w.openType(entry);
  } else {
    const secondaries = packet.secondaries ?? [];
    w.byte(0x00);
    w.length(secondaries.length);
    for (const ifp of secondaries) w.openType(ifp);
  }
  return w.toBytes();
}

export function decodeUdptl(datagram: Uint8Array): UdptlPacket {
  if (datagram.length > MAX_UDPTL_PACKET) {
    throw new UdptlDecodeError(`UDPTL packet of ${datagram.length} bytes exceeds ${MAX_UDPTL_PACKET}`);
  }
  const r = new Reader(datagram);
  const seq = (r.byte() << 8) | r.byte();
  const primary = r.openType();
  const choice = r.byte();
  let packet: UdptlPacket;
  if (choice === 0x00) {
    const count = r.length();
    if (count > MAX_RECOVERY_ENTRIES)
      throw new UdptlDecodeError(`UDPTL carries ${count} secondaries (limit ${MAX_RECOVERY_ENTRIES})`);
    const secondaries: Uint8Array[] = [];
    for (let i = 0; i < count; i++) secondaries.push(r.openType());
    packet = { seq, primary, secondaries };
  } else if (choice === 0x80) {
    const spanOctets = r.length();
    if (spanOctets < 1 || spanOctets > 2)
      throw new UdptlDecodeError(`UDPTL fec-npackets of ${spanOctets} octets`);
    let span = 0;
    for (let i = 0; i < spanOctets; i++) span = (span << 8) | r.byte();
    const count = r.length();
    if (count > MAX_RECOVERY_ENTRIES || span * count > HISTORY / 2) {
      throw new UdptlDecodeError(`UDPTL FEC span ${span} × ${count} entries exceeds the recovery window`);
    }
    const entries: Uint8Array[] = [];
    for (let i = 0; i < count; i++) entries.push(r.openType());
    packet = { seq, primary, fec: { span, entries } };
  } else {
    throw new UdptlDecodeError(`UDPTL error-recovery choice 0x${choice.toString(16)} is invalid`);
  }
  if (!r.done) throw new UdptlDecodeError('UDPTL packet has trailing bytes');
  return packet;
}

function xorInto(target: Uint8Array, source: Uint8Array): Uint8Array {
  const out =
    target.length >= source.length
      ? target
      : Uint8Array.from({ length: source.length }, (_, i) => target[i] ?? 0);
  for (let i = 0; i < source.length; i++) out[i] = (out[i] ?? 0) ^ (source[i] ?? 0);
  return out;
}

export interface UdptlSenderOptions {
  readonly errorCorrection: ErrorCorrection;
  /** T38FaxMaxDatagram: secondaries are dropped (oldest first) to stay within it. */
  readonly maxDatagram?: number;
}

/** Numbers IFPs and frames them with the configured error recovery. */
export class UdptlSender {
  private seq = 0;
  private readonly history: Uint8Array[] = new Array<Uint8Array>(HISTORY);
  private readonly options: UdptlSenderOptions;

  constructor(options: UdptlSenderOptions) {
    const ec = options.errorCorrection;
    if (ec.mode === 'redundancy' && (ec.secondaries < 0 || ec.secondaries > MAX_RECOVERY_ENTRIES)) {
      throw new RangeError(`secondaries must be 0…${MAX_RECOVERY_ENTRIES}`);
    }
    if (ec.mode === 'fec' && (ec.span < 1 || ec.entries < 1 || ec.span * ec.entries > HISTORY / 2)) {
      throw new RangeError(`FEC span × entries must be 1…${HISTORY / 2}`);
    }
    this.options = options;
  }

  /** The datagram carrying `ifp` under the next sequence number. Send it `count` times unchanged. */
  next(ifp: Uint8Array): Uint8Array {
    const seq = this.seq;
    this.seq = (this.seq + 1) & SEQ_MASK;
    this.history[seq % HISTORY] = ifp;
    const ec = this.options.errorCorrection;
    if (ec.mode === 'fec')
      return encodeUdptl({ seq, primary: ifp, fec: this.fecFor(seq, ec.span, ec.entries) });
    const wanted = ec.mode === 'redundancy' ? Math.min(ec.secondaries, seq) : 0;
    const secondaries: Uint8Array[] = [];
    for (let i = 1; i <= wanted; i++)
      secondaries.push(this.history[(seq - i + HISTORY * 1024) % HISTORY] ?? new Uint8Array());
    let datagram = encodeUdptl({ seq, primary: ifp, secondaries });
    const max = this.options.maxDatagram;
    while (max !== undefined && datagram.length > max && secondaries.length > 0) {
      secondaries.pop();
      datagram = encodeUdptl({ seq, primary: ifp, secondaries });
    }
    return datagram;
  }

  private fecFor(seq: number, span: number, entries: number): { span: number; entries: Uint8Array[] } {
    // Wind up smoothly at the start of the stream, as there is nothing to protect yet.
    if (seq < span * entries) {
      entries = Math.floor(seq / span);
      if (seq < span) span = 0;
    }
    const out: Uint8Array[] = [];
    for (let m = 0; m < entries; m++) {
      let parity: Uint8Array = new Uint8Array();
      for (let k = 0; k < span; k++) {
        const covered = seq + m - span * entries + k * entries;
        parity = xorInto(parity, this.history[(covered + HISTORY * 1024) % HISTORY] ?? new Uint8Array());
      }
      out.push(parity);
    }
    return { span, entries: out };
  }
}

export interface DeliveredIfp {
  readonly seq: number;
  readonly ifp: Uint8Array;
  readonly recovered: boolean;
}

export interface UdptlReceiverStats {
  packets: number;
  delivered: number;
  recovered: number;
  duplicates: number;
  lost: number;
  malformed: number;
}

/** Turns arriving datagrams (duplicated, reordered, lossy) into IFPs in sequence, each once. */
export class UdptlReceiver {
  private expected: number | undefined;
  private readonly received: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(HISTORY);
  readonly stats: UdptlReceiverStats = {
    packets: 0,
    delivered: 0,
    recovered: 0,
    duplicates: 0,
    lost: 0,
    malformed: 0,
  };

  /** IFPs to hand to the terminal, oldest first; malformed datagrams are counted and dropped. */
  receive(datagram: Uint8Array): DeliveredIfp[] {
    let packet: UdptlPacket;
    try {
      packet = decodeUdptl(datagram);
    } catch (error) {
      if (!(error instanceof UdptlDecodeError)) throw error;
      this.stats.malformed += 1;
      return [];
    }
    this.stats.packets += 1;
    const seq = packet.seq;
    const expected = this.expected ?? (seq - Math.min(seq, packet.secondaries?.length ?? 0)) & SEQ_MASK;
    const ahead = (seq - expected) & SEQ_MASK;
    if (ahead >= 0x8000) {
      // Behind what was delivered already: a repeat, or a late packet whose slot was recovered or given up.
      this.stats.duplicates += 1;
      return [];
    }
    this.received[seq % HISTORY] = packet.primary;
    const out: DeliveredIfp[] = [];
    for (let gap = ahead; gap > 0; gap--) {
      const missing = (seq - gap) & SEQ_MASK;
      const ifp = this.recover(packet, missing);
      if (ifp) {
        this.received[missing % HISTORY] = ifp;
        out.push({ seq: missing, ifp, recovered: true });
        this.stats.recovered += 1;
      } else {
        this.received[missing % HISTORY] = undefined;
        this.stats.lost += 1;
      }
    }
    out.push({ seq, ifp: packet.primary, recovered: false });
    this.stats.delivered += out.length;
    this.expected = (seq + 1) & SEQ_MASK;
    return out;
  }

  private recover(packet: UdptlPacket, missing: number): Uint8Array | undefined {
    const back = (packet.seq - missing) & SEQ_MASK;
    if (packet.secondaries) return packet.secondaries[back - 1];
    if (!packet.fec) return undefined;
    const { span, entries } = packet.fec;
    for (let m = 0; m < entries.length; m++) {
      const covered: number[] = [];
      for (let k = 0; k < span; k++)
        covered.push((packet.seq + m - span * entries.length + k * entries.length) & SEQ_MASK);
      if (!covered.includes(missing)) continue;
      let parity: Uint8Array = Uint8Array.from(entries[m] ?? []);
      let complete = true;
      for (const other of covered) {
        if (other === missing) continue;
        const have = this.received[other % HISTORY];
        if (!have) {
          complete = false;
          break;
        }
        parity = xorInto(parity, have);
      }
      if (complete) return parity;
    }
    return undefined;
  }
}
