// UDPTL (ITU-T T.38 annex, aligned PER): the framing T.38 IFPs travel in over UDP, with error
// recovery by redundancy (the previous N IFPs ride along) or by FEC (XOR parity over spans). The
// sender keeps a short history; the receiver delivers IFPs in sequence order exactly once,
// recovering gaps from secondaries or parity. Limits: packets ≤ MAX_UDPTL_PACKET bytes, IFPs and
// FEC entries < 16384 bytes (no PER fragmentation), ≤ MAX_RECOVERY_ENTRIES recovery entries.
//
// Every channel sends and receives ~25 datagrams a second, so the sender and the receiver work in
// place: histories are copies in slots that are reused, parsing records offsets instead of making
// objects, and a received IFP is handed on as a view of the datagram. Objects that lived a few
// seconds per IFP were what made the media workers' garbage collections long.
import { TerminalError } from '../../cluster/index.ts';

export const MAX_UDPTL_PACKET = 4096;
export const MAX_RECOVERY_ENTRIES = 32;
/** The most IFPs one FEC packet may cover (span × entries): the history a receiver keeps. */
const MAX_FEC_WINDOW = 32;
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

function openTypeSize(length: number): number {
  if (length < 0x80) return length + 1;
  if (length < 0x4000) return length + 2;
  throw new UdptlDecodeError(
    `UDPTL field of ${length} bytes needs PER fragmentation, which is not supported`,
  );
}

/** Writes a length determinant at `at`; returns the offset after it. */
function writeLength(out: Uint8Array, at: number, length: number): number {
  if (length < 0x80) {
    out[at] = length;
    return at + 1;
  }
  out[at] = 0x80 | (length >> 8);
  out[at + 1] = length & 0xff;
  return at + 2;
}

/** Writes `data` as an open type at `at`; returns the offset after it. */
function writeOpenType(out: Uint8Array, at: number, data: Uint8Array): number {
  at = writeLength(out, at, data.length);
  out.set(data, at);
  return at + data.length;
}

/** Parses datagrams in place: it records where the fields lie instead of making objects, and one
 * instance serves every datagram of a stream. */
class UdptlParser {
  seq = 0;
  primaryStart = 0;
  primaryEnd = 0;
  fec = false;
  span = 0;
  /** Secondaries or FEC entries. */
  count = 0;
  readonly starts = new Int32Array(MAX_RECOVERY_ENTRIES);
  readonly ends = new Int32Array(MAX_RECOVERY_ENTRIES);
  private data: Uint8Array = new Uint8Array();
  private at = 0;

  /** Throws UdptlDecodeError if `data` is not a well-formed UDPTL packet within our limits. */
  parse(data: Uint8Array): void {
    if (data.length > MAX_UDPTL_PACKET) {
      throw new UdptlDecodeError(`UDPTL packet of ${data.length} bytes exceeds ${MAX_UDPTL_PACKET}`);
    }
    this.data = data;
    this.at = 0;
    this.seq = (this.byte() << 8) | this.byte();
    this.primaryStart = this.openType();
    this.primaryEnd = this.at;
    const choice = this.byte();
    if (choice === 0x00) {
      this.fec = false;
      this.span = 0;
      this.count = this.length();
      if (this.count > MAX_RECOVERY_ENTRIES)
        throw new UdptlDecodeError(`UDPTL carries ${this.count} secondaries (limit ${MAX_RECOVERY_ENTRIES})`);
    } else if (choice === 0x80) {
      this.fec = true;
      const spanOctets = this.length();
      if (spanOctets < 1 || spanOctets > 2)
        throw new UdptlDecodeError(`UDPTL fec-npackets of ${spanOctets} octets`);
      this.span = 0;
      for (let i = 0; i < spanOctets; i++) this.span = (this.span << 8) | this.byte();
      this.count = this.length();
      if (this.count > MAX_RECOVERY_ENTRIES || this.span * this.count > MAX_FEC_WINDOW) {
        throw new UdptlDecodeError(
          `UDPTL FEC span ${this.span} × ${this.count} entries exceeds the recovery window`,
        );
      }
    } else {
      throw new UdptlDecodeError(`UDPTL error-recovery choice 0x${choice.toString(16)} is invalid`);
    }
    for (let i = 0; i < this.count; i++) {
      this.starts[i] = this.openType();
      this.ends[i] = this.at;
    }
    if (this.at !== data.length) throw new UdptlDecodeError('UDPTL packet has trailing bytes');
  }

  private byte(): number {
    const value = this.data[this.at];
    if (value === undefined) throw new UdptlDecodeError(`UDPTL packet truncated at byte ${this.at}`);
    this.at += 1;
    return value;
  }

  private length(): number {
    const first = this.byte();
    if ((first & 0x80) === 0) return first;
    if ((first & 0xc0) === 0x80) return ((first & 0x3f) << 8) | this.byte();
    throw new UdptlDecodeError('UDPTL length uses PER fragmentation, which is not supported');
  }

  /** Skips an open type; returns where its content starts (it ends where the parser now is). */
  private openType(): number {
    const size = this.length();
    if (this.at + size > this.data.length) {
      throw new UdptlDecodeError(`UDPTL field of ${size} bytes overruns the packet`);
    }
    this.at += size;
    return this.at - size;
  }
}

export function encodeUdptl(packet: UdptlPacket): Uint8Array {
  const recovery = packet.fec?.entries ?? packet.secondaries ?? [];
  const size =
    2 +
    openTypeSize(packet.primary.length) +
    1 +
    3 +
    2 +
    recovery.reduce((sum, e) => sum + openTypeSize(e.length), 0);
  const out = new Uint8Array(size);
  out[0] = packet.seq >> 8;
  out[1] = packet.seq & 0xff;
  let at = writeOpenType(out, 2, packet.primary);
  if (packet.fec) {
    out[at++] = 0x80;
    at = writeLength(out, at, 1); // fec-npackets is an unconstrained INTEGER: one content octet
    out[at++] = packet.fec.span;
  } else {
    out[at++] = 0x00;
  }
  at = writeLength(out, at, recovery.length);
  for (const entry of recovery) at = writeOpenType(out, at, entry);
  return out.subarray(0, at);
}

export function decodeUdptl(datagram: Uint8Array): UdptlPacket {
  const layout = new UdptlParser();
  layout.parse(datagram);
  const primary = datagram.subarray(layout.primaryStart, layout.primaryEnd);
  const recovery = Array.from({ length: layout.count }, (_, i) =>
    datagram.subarray(layout.starts[i], layout.ends[i]),
  );
  return layout.fec
    ? { seq: layout.seq, primary, fec: { span: layout.span, entries: recovery } }
    : { seq: layout.seq, primary, secondaries: recovery };
}

function xorInto(target: Uint8Array, source: Uint8Array): Uint8Array {
  const out =
    target.length >= source.length
      ? target
      : Uint8Array.from({ length: source.length }, (_, i) => target[i] ?? 0);
  for (let i = 0; i < source.length; i++) out[i] = (out[i] ?? 0) ^ (source[i] ?? 0);
  return out;
}

/** The last IFPs of a stream, by sequence number, copied into one buffer that is reused. */
class IfpHistory {
  private readonly size: number;
  private slotBytes = 64; // a data IFP at 14.4 kbit/s carries 36 bytes
  private slab: Uint8Array;
  private readonly lengths: Int32Array;

  /** Holds the last `window` IFPs. */
  constructor(window: number) {
    this.size = 2 ** Math.ceil(Math.log2(window + 1));
    this.slab = new Uint8Array(this.size * this.slotBytes);
    this.lengths = new Int32Array(this.size).fill(-1);
  }

  put(seq: number, ifp: Uint8Array): void {
    if (ifp.length > this.slotBytes) this.grow(ifp.length);
    const i = seq & (this.size - 1);
    this.slab.set(ifp, i * this.slotBytes);
    this.lengths[i] = ifp.length;
  }

  forget(seq: number): void {
    this.lengths[seq & (this.size - 1)] = -1;
  }

  /** The length of `seq`'s IFP, or -1 if it is not held. */
  length(seq: number): number {
    return this.lengths[seq & (this.size - 1)]!;
  }

  /** Writes `seq`'s IFP (empty if not held) as an open type at `at`; returns the offset after it. */
  writeOpenType(out: Uint8Array, at: number, seq: number): number {
    const i = seq & (this.size - 1);
    const length = Math.max(0, this.lengths[i]!);
    at = writeLength(out, at, length);
    // A loop, not set(subarray): a view per secondary would be garbage in every datagram.
    for (let from = i * this.slotBytes, end = at + length; at < end;) out[at++] = this.slab[from++]!;
    return at;
  }

  /** A copy of `seq`'s IFP, or undefined if it is not held. */
  copy(seq: number): Uint8Array | undefined {
    const i = seq & (this.size - 1);
    const length = this.lengths[i]!;
    return length < 0 ? undefined : this.slab.slice(i * this.slotBytes, i * this.slotBytes + length);
  }

  private grow(length: number): void {
    const slotBytes = 2 ** Math.ceil(Math.log2(length));
    const slab = new Uint8Array(this.size * slotBytes);
    for (let i = 0; i < this.size; i++)
      slab.set(this.slab.subarray(i * this.slotBytes, (i + 1) * this.slotBytes), i * slotBytes);
    this.slab = slab;
    this.slotBytes = slotBytes;
  }
}

export interface UdptlSenderOptions {
  readonly errorCorrection: ErrorCorrection;
  /** T38FaxMaxDatagram: secondaries are dropped (oldest first) to stay within it. */
  readonly maxDatagram?: number;
}

/** Numbers IFPs and frames them with the configured error recovery. */
export class UdptlSender {
  private seq = 0;
  private readonly history: IfpHistory;
  private readonly options: UdptlSenderOptions;

  constructor(options: UdptlSenderOptions) {
    const ec = options.errorCorrection;
    if (ec.mode === 'redundancy' && (ec.secondaries < 0 || ec.secondaries > MAX_RECOVERY_ENTRIES)) {
      throw new RangeError(`secondaries must be 0…${MAX_RECOVERY_ENTRIES}`);
    }
    if (ec.mode === 'fec' && (ec.span < 1 || ec.entries < 1 || ec.span * ec.entries > MAX_FEC_WINDOW)) {
      throw new RangeError(`FEC span × entries must be 1…${MAX_FEC_WINDOW}`);
    }
    this.options = options;
    this.history = new IfpHistory(
      ec.mode === 'fec' ? ec.span * ec.entries : ec.mode === 'redundancy' ? ec.secondaries : 0,
    );
  }

  /** The datagram carrying `ifp` under the next sequence number. Send it `count` times unchanged.
   * `ifp` is copied: the caller may reuse its buffer. */
  next(ifp: Uint8Array): Uint8Array {
    const seq = this.seq;
    this.seq = (this.seq + 1) & SEQ_MASK;
    const ec = this.options.errorCorrection;
    if (ec.mode === 'fec') {
      this.history.put(seq, ifp);
      return encodeUdptl({ seq, primary: ifp, fec: this.fecFor(seq, ec.span, ec.entries) });
    }
    // Redundancy: as many of the previous IFPs as asked for and as fit in T38FaxMaxDatagram.
    const max = this.options.maxDatagram ?? Infinity;
    let size = 2 + openTypeSize(ifp.length) + 1 + 1;
    let carried = 0;
    const wanted = ec.mode === 'redundancy' ? Math.min(ec.secondaries, seq) : 0;
    for (let i = 1; i <= wanted; i++) {
      const entry = openTypeSize(Math.max(0, this.history.length((seq - i) & SEQ_MASK)));
      if (size + entry > max) break;
      size += entry;
      carried = i;
    }
    const out = new Uint8Array(size);
    out[0] = seq >> 8;
    out[1] = seq & 0xff;
    let at = writeOpenType(out, 2, ifp);
    out[at++] = 0x00;
    at = writeLength(out, at, carried);
    for (let i = 1; i <= carried; i++) at = this.history.writeOpenType(out, at, (seq - i) & SEQ_MASK);
    this.history.put(seq, ifp);
    return out;
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
        const covered = (seq + m - span * entries + k * entries) & SEQ_MASK;
        parity = xorInto(parity, this.history.copy(covered) ?? new Uint8Array());
      }
      out.push(parity);
    }
    return { span, entries: out };
  }
}

/** Receives one IFP: `recovered` when it came from a later packet's secondaries or FEC parity.
 * `ifp` is valid only during the call. */
export type IfpDelivery = (ifp: Uint8Array, seq: number, recovered: boolean) => void;

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
  private readonly layout = new UdptlParser();
  /** FEC only: the IFPs parity is computed over. */
  private history: IfpHistory | undefined;
  readonly stats: UdptlReceiverStats = {
    packets: 0,
    delivered: 0,
    recovered: 0,
    duplicates: 0,
    lost: 0,
    malformed: 0,
  };

  /** Delivers the IFPs `datagram` completes, oldest first; malformed datagrams are counted and
   * dropped. */
  receive(datagram: Uint8Array, deliver: IfpDelivery): void {
    const layout = this.layout;
    try {
      layout.parse(datagram);
    } catch (error) {
      if (!(error instanceof UdptlDecodeError)) throw error;
      this.stats.malformed += 1;
      return;
    }
    this.stats.packets += 1;
    const seq = layout.seq;
    const expected = this.expected ?? (seq - Math.min(seq, layout.fec ? 0 : layout.count)) & SEQ_MASK;
    const ahead = (seq - expected) & SEQ_MASK;
    if (ahead >= 0x8000) {
      // Behind what was delivered already: a repeat, or a late packet whose slot was recovered or given up.
      this.stats.duplicates += 1;
      return;
    }
    this.expected = (seq + 1) & SEQ_MASK;
    const primary = datagram.subarray(layout.primaryStart, layout.primaryEnd);
    if (layout.fec) (this.history ??= new IfpHistory(MAX_FEC_WINDOW)).put(seq, primary);
    for (let gap = ahead; gap > 0; gap--) {
      const missing = (seq - gap) & SEQ_MASK;
      const ifp = this.recover(datagram, missing);
      if (ifp) {
        this.history?.put(missing, ifp);
        this.stats.recovered += 1;
        this.stats.delivered += 1;
        deliver(ifp, missing, true);
      } else {
        this.history?.forget(missing);
        this.stats.lost += 1;
      }
    }
    this.stats.delivered += 1;
    deliver(primary, seq, false);
  }

  private recover(datagram: Uint8Array, missing: number): Uint8Array | undefined {
    const layout = this.layout;
    const back = (layout.seq - missing) & SEQ_MASK;
    if (!layout.fec)
      return back <= layout.count
        ? datagram.subarray(layout.starts[back - 1], layout.ends[back - 1])
        : undefined;
    const { span, count } = layout;
    for (let m = 0; m < count; m++) {
      let covers = false;
      for (let k = 0; k < span; k++)
        if (((layout.seq + m - span * count + k * count) & SEQ_MASK) === missing) covers = true;
      if (!covers) continue;
      let parity: Uint8Array = datagram.slice(layout.starts[m], layout.ends[m]);
      let complete = true;
      for (let k = 0; k < span && complete; k++) {
        const other = (layout.seq + m - span * count + k * count) & SEQ_MASK;
        if (other === missing) continue;
        const have = this.history?.copy(other);
        if (have) parity = xorInto(parity, have);
        else complete = false;
      }
      if (complete) return parity;
    }
    return undefined;
  }
}
