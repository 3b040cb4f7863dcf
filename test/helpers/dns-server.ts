// A DNS server on a random loopback UDP port that answers TXT questions from a table and NXDOMAIN
// to anything else: what SPF, DKIM and DMARC checks ask (mailauth). Public DNS is the one boundary
// these tests cannot run for real, so this is the only played peer; the node under test queries it
// over the network exactly as it would query a resolver (FAXSWITCH_DNS_SERVERS).
import dgram from 'node:dgram';

export interface TestDnsServer {
  /** `127.0.0.1:<port>` for FAXSWITCH_DNS_SERVERS. */
  readonly address: string;
  /** Names (lower case) and their TXT records; each record is one or more strings. */
  readonly txt: Map<string, string[][]>;
  close(): Promise<void>;
}

const TYPE_TXT = 16;

export async function startDnsServer(records: Record<string, string[][]> = {}): Promise<TestDnsServer> {
  const txt = new Map(Object.entries(records).map(([name, values]) => [name.toLowerCase(), values]));
  const socket = dgram.createSocket('udp4');
  socket.on('message', (query, peer) => {
    const reply = answer(query, txt);
    if (reply) socket.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    txt,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

function answer(query: Buffer, txt: Map<string, string[][]>): Buffer | undefined {
  if (query.length < 17) return undefined;
  const labels: string[] = [];
  let offset = 12;
  while (offset < query.length && query[offset] !== 0) {
    const length = query[offset]!;
    labels.push(query.subarray(offset + 1, offset + 1 + length).toString('latin1'));
    offset += length + 1;
  }
  const questionEnd = offset + 5; // zero label, QTYPE, QCLASS
  if (questionEnd > query.length) return undefined;
  const type = query.readUInt16BE(offset + 1);
  const name = labels.join('.').toLowerCase();
  const found = type === TYPE_TXT ? txt.get(name) : undefined;
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // id
  header.writeUInt16BE(0x8180 | (txt.has(name) || found ? 0 : 3), 2); // response, RD+RA, NOERROR|NXDOMAIN
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(found?.length ?? 0, 6);
  const answers = (found ?? []).map((strings) => {
    const data = Buffer.concat(
      strings.flatMap((text) => {
        const bytes = Buffer.from(text, 'latin1');
        // A TXT string holds at most 255 bytes; longer records (DKIM keys) come in several.
        const parts: Buffer[] = [];
        for (let i = 0; i < bytes.length; i += 255) {
          const part = bytes.subarray(i, i + 255);
          parts.push(Buffer.from([part.length]), part);
        }
        return parts;
      }),
    );
    const fixed = Buffer.alloc(12);
    fixed.writeUInt16BE(0xc00c, 0); // pointer to the question's name
    fixed.writeUInt16BE(TYPE_TXT, 2);
    fixed.writeUInt16BE(1, 4); // IN
    fixed.writeUInt32BE(60, 6);
    fixed.writeUInt16BE(data.length, 10);
    return Buffer.concat([fixed, data]);
  });
  return Buffer.concat([header, query.subarray(12, questionEnd), ...answers]);
}
