import { describe, expect, it } from 'vitest';
import {
  decodeUdptl,
  encodeUdptl,
  UdptlDecodeError,
  UdptlReceiver,
  UdptlSender,
} from '../../../src/media/index.ts';

const ifp = (n: number, length = 5) => Uint8Array.from({ length }, (_, i) => (n * 31 + i) & 0xff);

/** Everything `receiver` delivers for `datagrams`, copied (a delivered IFP is only a view). */
function receiveAll(receiver: UdptlReceiver, datagrams: Uint8Array[]) {
  const delivered: { seq: number; ifp: Uint8Array; recovered: boolean }[] = [];
  for (const datagram of datagrams)
    receiver.receive(datagram, (ifp, seq, recovered) => delivered.push({ seq, ifp: ifp.slice(), recovered }));
  return delivered;
}

describe('UDPTL framing (aligned PER)', () => {
  it('encodes the sequence number, primary IFP and redundancy exactly as T.38 Annex says', () => {
    const bytes = encodeUdptl({
      seq: 0x0102,
      primary: Uint8Array.of(0x06, 0x00),
      secondaries: [Uint8Array.of(0x04)],
    });
    expect([...bytes]).toEqual([0x01, 0x02, 0x02, 0x06, 0x00, 0x00, 0x01, 0x01, 0x04]);
  });

  it('uses the two-byte length determinant from 128 bytes on', () => {
    const bytes = encodeUdptl({ seq: 1, primary: new Uint8Array(300), secondaries: [] });
    expect([...bytes.subarray(2, 4)]).toEqual([0x81, 0x2c]);
    expect(decodeUdptl(bytes).primary.length).toBe(300);
  });

  it('round-trips FEC packets', () => {
    const packet = { seq: 9, primary: ifp(9), fec: { span: 3, entries: [ifp(1), ifp(2, 7)] } };
    const decoded = decodeUdptl(encodeUdptl(packet));
    expect(decoded.fec?.span).toBe(3);
    expect(decoded.fec?.entries.map((e) => [...e])).toEqual([[...ifp(1)], [...ifp(2, 7)]]);
  });

  it.each([
    ['truncated', Uint8Array.of(0x00)],
    ['overrunning length', Uint8Array.of(0, 1, 50, 1, 2)],
    ['bad error-recovery choice', Uint8Array.of(0, 1, 1, 7, 0x40)],
    ['trailing bytes', Uint8Array.of(0, 1, 1, 7, 0, 0, 9)],
    ['too many secondaries', Uint8Array.of(0, 1, 1, 7, 0, 100)],
    ['oversized', new Uint8Array(5000)],
  ])('rejects a %s packet with a typed error', (_name, bytes) => {
    expect(() => decodeUdptl(bytes)).toThrow(UdptlDecodeError);
  });
});

describe('UdptlSender', () => {
  it('carries the previous IFPs newest first and drops them to respect T38FaxMaxDatagram', () => {
    const sender = new UdptlSender({
      errorCorrection: { mode: 'redundancy', secondaries: 3 },
      maxDatagram: 22,
    }); // 2 + 6 + 2 + 2×6: room for two of three
    for (let n = 0; n < 4; n++) sender.next(ifp(n));
    const packet = decodeUdptl(sender.next(ifp(4)));
    expect(packet.seq).toBe(4);
    expect(packet.secondaries?.map((s) => [...s])).toEqual([[...ifp(3)], [...ifp(2)]]);
  });

  it('wraps the sequence number at 65536', () => {
    const sender = new UdptlSender({ errorCorrection: { mode: 'none' } });
    let last = 0;
    for (let n = 0; n < 65537; n++) last = decodeUdptl(sender.next(ifp(n, 1))).seq;
    expect(last).toBe(0);
  });
});

describe('UdptlReceiver', () => {
  it('delivers each IFP once, in order, recovering gaps from secondaries', () => {
    const sender = new UdptlSender({ errorCorrection: { mode: 'redundancy', secondaries: 2 } });
    const packets = Array.from({ length: 8 }, (_, n) => sender.next(ifp(n)));
    const receiver = new UdptlReceiver();
    const arrivals = [0, 1, 1, 4, 3, 5, 7].map((i) => packets[i]!); // dup of 1, 2+3 lost then 3 late, 6 lost
    const delivered = receiveAll(receiver, arrivals);
    expect(delivered.map((d) => d.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(delivered.map((d) => [...d.ifp])).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((n) => [...ifp(n)]));
    expect(receiver.stats).toMatchObject({ duplicates: 2, recovered: 3, lost: 0 });
  });

  it('recovers a lost packet from FEC parity', () => {
    const sender = new UdptlSender({ errorCorrection: { mode: 'fec', span: 2, entries: 2 } });
    const packets = Array.from({ length: 12 }, (_, n) => sender.next(ifp(n, 3 + (n % 3))));
    const receiver = new UdptlReceiver();
    const delivered = receiveAll(
      receiver,
      packets.filter((_, i) => i !== 8),
    );
    const eight = delivered.find((d) => d.seq === 8);
    expect(eight?.recovered).toBe(true);
    expect([...eight!.ifp]).toEqual([...ifp(8, 5)]);
  });

  it('counts malformed datagrams and carries on', () => {
    const receiver = new UdptlReceiver();
    expect(receiveAll(receiver, [Uint8Array.of(1)])).toEqual([]);
    expect(receiver.stats.malformed).toBe(1);
  });
});
