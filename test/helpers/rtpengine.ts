// A private rtpengine (Debian rtpengine-daemon, userspace forwarding only: no kernel module) on
// loopback, driven over its NG control protocol (bencode dictionaries over UDP, each datagram
// prefixed with a cookie). Used as an independent UDPTL stack and T.38⇄G.711 gateway.
import dgram from 'node:dgram';
import { findExecutable, findFreePort, ManagedProcess } from '../../src/local-services/index.ts';

export type Bencode = string | number | Bencode[] | { [key: string]: Bencode };

export function bencode(value: Bencode): Buffer {
  if (typeof value === 'number') return Buffer.from(`i${Math.trunc(value)}e`);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value);
    return Buffer.concat([Buffer.from(`${bytes.length}:`), bytes]);
  }
  if (Array.isArray(value)) return Buffer.concat([Buffer.from('l'), ...value.map(bencode), Buffer.from('e')]);
  const keys = Object.keys(value).sort();
  return Buffer.concat([
    Buffer.from('d'),
    ...keys.flatMap((k) => [bencode(k), bencode(value[k]!)]),
    Buffer.from('e'),
  ]);
}

export function bdecode(data: Buffer): Bencode {
  let offset = 0;
  const parse = (): Bencode => {
    const c = String.fromCharCode(data[offset]!);
    if (c === 'i') {
      const end = data.indexOf(0x65, offset);
      const n = Number(data.subarray(offset + 1, end).toString());
      offset = end + 1;
      return n;
    }
    if (c === 'l' || c === 'd') {
      offset += 1;
      const items: Bencode[] = [];
      while (data[offset] !== 0x65) {
        if (offset >= data.length) throw new Error('bencode: unterminated container');
        items.push(parse());
      }
      offset += 1;
      if (c === 'l') return items;
      const dict: Record<string, Bencode> = {};
      for (let i = 0; i < items.length; i += 2) dict[items[i] as string] = items[i + 1]!;
      return dict;
    }
    const colon = data.indexOf(0x3a, offset);
    const length = Number(data.subarray(offset, colon).toString());
    if (!Number.isInteger(length) || colon < 0) throw new Error('bencode: bad string length');
    offset = colon + 1 + length;
    return data.subarray(colon + 1, offset).toString();
  };
  return parse();
}

export interface NgCommand extends Record<string, Bencode> {
  readonly command: string;
}

export interface Rtpengine {
  readonly ngPort: number;
  /** Sends one NG command and returns rtpengine's reply dictionary (throws on result ≠ ok). */
  command(body: NgCommand): Promise<Record<string, Bencode>>;
  dispose(): Promise<void>;
}

export async function startRtpengine(portMin: number, portMax: number): Promise<Rtpengine> {
  const ngPort = await findFreePort();
  const process = new ManagedProcess({
    name: 'rtpengine',
    executable: findExecutable('rtpengine', 'rtpengine-daemon'),
    args: [
      '--foreground',
      '--log-stderr',
      '--config-file=none',
      '--table=-1',
      '--interface=127.0.0.1',
      `--listen-ng=127.0.0.1:${ngPort}`,
      `--port-min=${portMin}`,
      `--port-max=${portMax}`,
      '--log-level=6',
    ],
    readyPattern: /Startup complete|control NG|listening/i,
  });
  await process.start();
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const pending = new Map<string, (reply: Record<string, Bencode>) => void>();
  socket.on('message', (message) => {
    const space = message.indexOf(0x20);
    const cookie = message.subarray(0, space).toString();
    pending.get(cookie)?.(bdecode(message.subarray(space + 1)) as Record<string, Bencode>);
    pending.delete(cookie);
  });
  let counter = 0;
  return {
    ngPort,
    command(body) {
      const cookie = `c${++counter}_${Date.now()}`;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`rtpengine did not answer ${body.command}`)), 5_000);
        pending.set(cookie, (reply) => {
          clearTimeout(timer);
          if (reply['result'] !== 'ok')
            reject(new Error(`rtpengine ${body.command}: ${JSON.stringify(reply)}`));
          else resolve(reply);
        });
        socket.send(Buffer.concat([Buffer.from(`${cookie} `), bencode(body)]), ngPort, '127.0.0.1');
      });
    },
    async dispose() {
      socket.close();
      await process.stop(2_000);
    },
  };
}
