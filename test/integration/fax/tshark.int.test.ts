// Wireshark's T.38 dissector (tshark, an independent decoder) reads a capture of our UDPTL, both
// directions of a whole fax with redundancy, ECM on and off. The capture is written from the exact
// datagrams our sender produced in a simulated-clock call, timestamps from the 20 ms ticks.
// Finding: SpanDSP asks for some IFPs to be sent 2–3 times and we repeat the identical datagram
// (decision 2, as FreeSWITCH does); Wireshark's HDLC reassembly does not skip such repeats and
// flags them ("Unreassembled fragment", "END OF FRAGMENT W/OUT ANY FRAGMENT DATA"). So the test
// proves: every note sits on a verbatim repeat, and the capture without repeats has none.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findExecutable } from '../../../src/local-services/index.ts';
import { faxDocument } from '../../helpers/fax-documents.ts';
import { makeTempDir } from '../../helpers/index.ts';
import { t38Call } from '../../unit/fax/simulation.ts';

const CALLER_PORT = 40000;
const CALLEE_PORT = 40002;

/** pcap with LINKTYPE_RAW (101): each record is an IPv4 + UDP packet around one datagram. */
function pcap(records: { datagram: Uint8Array; fromCaller: boolean; ms: number }[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(101, 20);
  const parts = [header];
  for (const { datagram, fromCaller, ms } of records) {
    const ip = Buffer.alloc(28);
    ip.writeUInt8(0x45, 0);
    ip.writeUInt16BE(28 + datagram.length, 2);
    ip.writeUInt8(64, 8);
    ip.writeUInt8(17, 9);
    ip.set([127, 0, 0, 1], 12);
    ip.set([127, 0, 0, 1], 16);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
    ip.writeUInt16BE(~sum & 0xffff, 10);
    ip.writeUInt16BE(fromCaller ? CALLER_PORT : CALLEE_PORT, 20);
    ip.writeUInt16BE(fromCaller ? CALLEE_PORT : CALLER_PORT, 22);
    ip.writeUInt16BE(8 + datagram.length, 24); // UDP checksum 0: none, allowed on IPv4
    const record = Buffer.alloc(16);
    record.writeUInt32LE(Math.floor(ms / 1000), 0);
    record.writeUInt32LE(Math.round((ms % 1000) * 1000), 4);
    record.writeUInt32LE(28 + datagram.length, 8);
    record.writeUInt32LE(28 + datagram.length, 12);
    parts.push(record, ip, Buffer.from(datagram));
  }
  return Buffer.concat(parts);
}

describe('tshark decodes our UDPTL', () => {
  const tshark = findExecutable('tshark', 'tshark');
  const dir = makeTempDir('faxswitch-tshark-');

  for (const ecm of [true, false]) {
    it(`decodes a whole fax with no malformed packet or note except on verbatim repeats, ECM ${ecm ? 'on' : 'off'}`, () => {
      const records: { datagram: Uint8Array; fromCaller: boolean; ms: number }[] = [];
      const outcome = t38Call({
        send: { file: faxDocument('standard', 1), ecm },
        receive: { file: path.join(dir, `rx-${ecm}.tif`), ecm },
        tap: (datagram, from, tick) =>
          records.push({ datagram, fromCaller: from === 'caller', ms: tick * 20 }),
      });
      expect(outcome.receiver?.text).toBe('OK');
      const file = path.join(dir, `udptl-ecm-${ecm}.pcap`);
      writeFileSync(file, pcap(records));
      const run = (capture: string, ...args: string[]) =>
        execFileSync(tshark, ['-n', '-r', capture, '-d', `udp.port==${CALLER_PORT},t38`, ...args], {
          encoding: 'utf8',
          env: { ...process.env, HOME: dir },
        });
      const decoded = run(file, '-Y', 't38', '-T', 'fields', '-e', 't38.seq_number').trim().split('\n');
      expect(decoded.length).toBe(records.length);
      // Every malformed flag or expert note is on a byte-identical repeat of the previous datagram.
      const noted = run(file, '-Y', '_ws.malformed || _ws.expert', '-T', 'fields', '-e', 'frame.number')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map(Number);
      const repeats = new Set(
        records.flatMap((r, i) =>
          i > 0 && Buffer.compare(Buffer.from(r.datagram), Buffer.from(records[i - 1]!.datagram)) === 0
            ? [i + 1]
            : [],
        ),
      );
      expect(noted.filter((frame) => !repeats.has(frame))).toEqual([]);
      expect(repeats.size).toBeGreaterThan(0);
      // Without the repeats (editcap -D drops identical packets) Wireshark has nothing to say.
      const deduped = path.join(dir, `udptl-ecm-${ecm}-dedup.pcap`);
      execFileSync(findExecutable('editcap', 'wireshark-common'), ['-D', '10', file, deduped]);
      expect(
        run(deduped, '-Y', '_ws.malformed || _ws.expert', '-T', 'fields', '-e', 'frame.number').trim(),
      ).toBe('');
      // The dissector saw the real T.30 dialogue inside (Wireshark numbers FCFs bit-reversed:
      // DIS 1, DCS 65, MCF 49, DCN 95) and our redundancy on most packets.
      const fcfs = new Set(
        run(file, '-Y', 't30.FacsimileControl', '-T', 'fields', '-e', 't30.FacsimileControl')
          .trim()
          .split('\n')
          .map(Number),
      );
      expect([...fcfs]).toEqual(expect.arrayContaining([1, 65, 49, 95]));
      const redundancy = run(
        file,
        '-Y',
        't38.secondary_ifp_packets_item_element',
        '-T',
        'fields',
        '-e',
        'frame.number',
      ).trim();
      expect(redundancy.split('\n').length).toBeGreaterThan(records.length / 2);
    });
  }
});
