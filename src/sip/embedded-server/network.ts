// The network side of the embedded server: SIP over UDP, TCP and (when configured) TLS on our own
// sockets, so we control the limits: a message larger than `maxMessageBytes` is dropped (a TCP
// stream that sends one is closed), each source address gets a token bucket, and malformed SIP
// gets a 400 when it carries enough headers to answer, else is dropped. Parsing and serialising
// use the `sip` package; this module never throws on input.
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import sip, { type Connection, type SipMessage } from 'sip';
import { KeyedRateLimiter } from '../token-bucket.ts';

export type SipProtocol = 'udp' | 'tcp' | 'tls';

export interface Remote {
  readonly protocol: SipProtocol;
  readonly address: string;
  readonly port: number;
}

export interface TlsOptions {
  readonly port: number;
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  /** Trust anchors for peers we connect to; default: the system's. Peers are always verified. */
  readonly ca?: string | Buffer;
}

export interface NetworkOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly udpPort: number;
  readonly tcpPort: number;
  readonly tls?: TlsOptions;
  readonly maxMessageBytes: number;
  readonly rateLimit: { readonly capacity: number; readonly ratePerSecond: number };
  readonly onMessage: (message: SipMessage, remote: Remote) => void;
  /** A handler failure: reported, never thrown back into the socket. */
  readonly onError: (error: unknown) => void;
}

export interface NetworkStats {
  oversize: number;
  rateLimited: number;
  malformed: number;
}

const REQUIRED_HEADERS = ['via', 'from', 'to', 'call-id', 'cseq'] as const;
const REQUEST_LINE = /^[A-Za-z]+ \S+ SIP\/2\.0\r?$/;
const HEADER_END = Buffer.from('\r\n\r\n');

/** Why a parsed message cannot be processed, or undefined when it can. */
export function validateSipMessage(message: SipMessage, bodyBytes: number): string | undefined {
  const headers = message.headers;
  for (const name of REQUIRED_HEADERS) if (headers[name] === undefined) return `missing or invalid ${name}`;
  const via = headers.via?.[0];
  if (via?.host === undefined || !Number.isFinite(headers.cseq?.seq)) return 'invalid Via or CSeq';
  if (message.method !== undefined && headers.cseq?.method !== message.method && message.method !== 'ACK') {
    if (!(message.method === 'CANCEL' && headers.cseq?.method === 'CANCEL'))
      return 'CSeq method differs from request method';
  }
  const declared = headers['content-length'];
  if (declared !== undefined && (!Number.isInteger(declared) || declared < 0 || declared > bodyBytes)) {
    return 'invalid Content-Length';
  }
  if (
    message.method !== undefined &&
    sip.parseUri(message.uri ?? '') === undefined &&
    !/^tel:/.test(message.uri ?? '')
  ) {
    return 'invalid Request-URI';
  }
  return undefined;
}

/** A 400 built from the raw header lines, for requests too broken for the parser. */
export function badRequestFor(text: string, reason: string): string | undefined {
  const lines = text.split('\r\n');
  const first = lines[0] ?? '';
  if (!REQUEST_LINE.test(first) || first.startsWith('ACK ')) return undefined;
  const pick = (names: RegExp) => lines.filter((line) => names.test(line));
  const vias = pick(/^(via|v)\s*:/i);
  const rest = [/^(from|f)\s*:/i, /^(to|t)\s*:/i, /^(call-id|i)\s*:/i, /^cseq\s*:/i].map((re) => pick(re)[0]);
  if (vias.length === 0 || rest.some((line) => line === undefined)) return undefined;
  const safeReason = reason.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
  return [
    'SIP/2.0 400 Bad Request',
    ...vias,
    ...(rest as string[]),
    `Warning: 399 faxswitch "${safeReason}"`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

export class SipNetwork {
  readonly stats: NetworkStats = { oversize: 0, rateLimited: 0, malformed: 0 };
  readonly #options: NetworkOptions;
  readonly #limiter: KeyedRateLimiter;
  readonly #udp: dgram.Socket;
  readonly #tcpServer: net.Server;
  readonly #tlsServer: tls.Server | undefined;
  readonly #streams = new Map<string, net.Socket>();
  #closed = false;

  private constructor(options: NetworkOptions) {
    this.#options = options;
    this.#limiter = new KeyedRateLimiter(options.rateLimit);
    this.#udp = dgram.createSocket(net.isIPv6(options.host) ? 'udp6' : 'udp4');
    this.#udp.on('message', (data, rinfo) => this.#onDatagram(data, rinfo));
    this.#udp.on('error', () => undefined);
    this.#tcpServer = net.createServer((socket) => this.#adoptStream(socket, 'tcp'));
    this.#tlsServer =
      options.tls === undefined
        ? undefined
        : tls.createServer({ key: options.tls.key, cert: options.tls.cert }, (socket) =>
            this.#adoptStream(socket, 'tls'),
          );
  }

  static async start(options: NetworkOptions): Promise<SipNetwork> {
    const network = new SipNetwork(options);
    network.#udp.bind(options.udpPort, options.host);
    await once(network.#udp, 'listening');
    network.#tcpServer.listen(options.tcpPort, options.host);
    await once(network.#tcpServer, 'listening');
    if (network.#tlsServer !== undefined && options.tls !== undefined) {
      network.#tlsServer.listen(options.tls.port, options.host);
      await once(network.#tlsServer, 'listening');
    }
    return network;
  }

  get host(): string {
    return this.#options.host;
  }
  get udpPort(): number {
    return this.#udp.address().port;
  }
  get tcpPort(): number {
    return (this.#tcpServer.address() as net.AddressInfo).port;
  }
  get tlsPort(): number | undefined {
    const address = this.#tlsServer?.address();
    return address === undefined || address === null || typeof address === 'string'
      ? undefined
      : address.port;
  }

  portFor(protocol: SipProtocol): number {
    if (protocol === 'udp') return this.udpPort;
    if (protocol === 'tcp') return this.tcpPort;
    return this.tlsPort ?? this.tcpPort;
  }

  /** A flow to `remote` in the shape the `sip` transaction layer sends through. */
  connection(remote: Remote): Connection {
    return {
      protocol: remote.protocol.toUpperCase(),
      send: (message) => this.sendText(remote, sip.stringify(message)),
      release: () => undefined,
    };
  }

  sendText(remote: Remote, text: string): void {
    if (this.#closed) return;
    if (remote.protocol === 'udp') {
      this.#udp.send(Buffer.from(text, 'utf8'), remote.port, remote.address);
      return;
    }
    this.#streamTo(remote).write(text, 'utf8');
  }

  #streamTo(remote: Remote): net.Socket {
    const key = streamKey(remote.address, remote.port);
    const existing = this.#streams.get(key);
    if (existing !== undefined && !existing.destroyed) return existing;
    const socket =
      remote.protocol === 'tls'
        ? tls.connect({
            host: remote.address,
            port: remote.port,
            ...(this.#options.tls?.ca === undefined ? {} : { ca: this.#options.tls.ca }),
          })
        : net.connect({ host: remote.address, port: remote.port });
    this.#adoptStream(socket, remote.protocol, remote);
    return socket;
  }

  #adoptStream(socket: net.Socket, protocol: SipProtocol, known?: Remote): void {
    const remote: Remote = known ?? {
      protocol,
      address: socket.remoteAddress ?? '',
      port: socket.remotePort ?? 0,
    };
    const key = streamKey(remote.address, remote.port);
    this.#streams.set(key, socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (this.#streams.get(key) === socket) this.#streams.delete(key);
    });
    let buffer: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      for (;;) {
        // RFC 5626 keep-alives and stray CRLFs between messages.
        let start = 0;
        while (start < buffer.length && (buffer[start] === 0x0d || buffer[start] === 0x0a)) start += 1;
        if (start > 0) buffer = buffer.subarray(start);
        const headerEnd = buffer.indexOf(HEADER_END);
        if (headerEnd === -1) {
          if (buffer.length > this.#options.maxMessageBytes) this.#dropStream(socket);
          return;
        }
        const head = buffer.toString('utf8', 0, headerEnd);
        const lengthMatch = /^(?:content-length|l)[ \t]*:[ \t]*(\d+)[ \t]*$/im.exec(head);
        const bodyLength = lengthMatch === null ? 0 : Number(lengthMatch[1]);
        const total = headerEnd + 4 + bodyLength;
        if (total > this.#options.maxMessageBytes) {
          this.#dropStream(socket);
          return;
        }
        if (buffer.length < total) return;
        const text = buffer.toString('utf8', 0, total);
        buffer = buffer.subarray(total);
        this.#receive(text, remote);
      }
    });
  }

  #dropStream(socket: net.Socket): void {
    this.stats.oversize += 1;
    socket.destroy();
  }

  #onDatagram(data: Buffer, rinfo: dgram.RemoteInfo): void {
    if (data.length > this.#options.maxMessageBytes) {
      this.stats.oversize += 1;
      return;
    }
    // A lone CRLF keep-alive (RFC 5626) needs no answer.
    if (data.length <= 4 && /^[\r\n]*$/.test(data.toString('latin1'))) return;
    this.#receive(data.toString('utf8'), { protocol: 'udp', address: rinfo.address, port: rinfo.port });
  }

  #receive(text: string, remote: Remote): void {
    if (!this.#limiter.allow(remote.address)) {
      this.stats.rateLimited += 1;
      return;
    }
    let message: SipMessage | undefined;
    let problem: string | undefined;
    try {
      message = sip.parse(text);
      const bodyStart = text.indexOf('\r\n\r\n');
      const bodyBytes = bodyStart === -1 ? 0 : Buffer.byteLength(text.slice(bodyStart + 4), 'utf8');
      problem = message === undefined ? 'unparseable message' : validateSipMessage(message, bodyBytes);
    } catch (error) {
      problem = error instanceof Error ? error.message : 'unparseable message';
    }
    if (message === undefined || problem !== undefined) {
      this.stats.malformed += 1;
      const reply = badRequestFor(text, problem ?? 'unparseable message');
      if (reply !== undefined) this.sendText(remote, reply);
      return;
    }
    if (message.method !== undefined) {
      const via = message.headers.via?.[0];
      if (via !== undefined) {
        if (via.host !== remote.address) via.params['received'] = remote.address;
        if (Object.hasOwn(via.params, 'rport')) via.params['rport'] = String(remote.port);
      }
    }
    try {
      this.#options.onMessage(message, remote);
    } catch (error) {
      this.#options.onError(error);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const socket of this.#streams.values()) socket.destroy();
    this.#udp.close();
    await Promise.all(
      [this.#tcpServer, this.#tlsServer]
        .filter((server) => server !== undefined)
        .map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
  }
}

function streamKey(address: string, port: number): string {
  return `${address}:${port}`;
}
