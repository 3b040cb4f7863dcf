// drachtio's wire framing between an app (drachtio-srf) and the server: `<byteLength>#<message>`,
// where message is `<msgId>|<command>|<arg>|…` and, when a SIP message rides along, CRLF + the
// SIP text. Lengths count UTF-8 bytes. A frame larger than `maxFrameBytes` or a missing length is a
// protocol error: the decoder throws and the caller closes the connection.
import { randomUUID } from 'node:crypto';

export class FramingError extends Error {}

const HASH = 0x23; // '#'
const MAX_LENGTH_DIGITS = 10;

export class FrameDecoder {
  readonly #maxFrameBytes: number;
  #buffer: Buffer = Buffer.alloc(0);

  constructor(maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Appends bytes and returns every complete message they finish. */
  push(chunk: Buffer): string[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const messages: string[] = [];
    for (;;) {
      const hash = this.#buffer.indexOf(HASH);
      if (hash === -1) {
        if (this.#buffer.length > MAX_LENGTH_DIGITS) throw new FramingError('frame length prefix missing');
        return messages;
      }
      const prefix = this.#buffer.toString('latin1', 0, hash);
      if (!/^\d{1,10}$/.test(prefix))
        throw new FramingError(`invalid frame length prefix '${prefix.slice(0, 20)}'`);
      const length = Number(prefix);
      if (length === 0 || length > this.#maxFrameBytes) {
        throw new FramingError(`frame of ${length} bytes is outside 1..${this.#maxFrameBytes}`);
      }
      const end = hash + 1 + length;
      if (this.#buffer.length < end) return messages;
      messages.push(this.#buffer.toString('utf8', hash + 1, end));
      this.#buffer = this.#buffer.subarray(end);
    }
  }
}

export function encodeFrame(message: string): string {
  return `${Buffer.byteLength(message, 'utf8')}#${message}`;
}

export interface WireMessage {
  readonly msgId: string;
  readonly command: string;
  /** The `|`-separated fields after the command. */
  readonly args: readonly string[];
  /** The SIP text after the first CRLF, or '' when none. */
  readonly sip: string;
}

export function parseWireMessage(message: string): WireMessage {
  const crlf = message.indexOf('\r\n');
  const leader = crlf === -1 ? message : message.slice(0, crlf);
  const [msgId = '', command = '', ...args] = leader.split('|');
  if (msgId === '' || command === '')
    throw new FramingError(`malformed message leader '${leader.slice(0, 80)}'`);
  return { msgId, command, args, sip: crlf === -1 ? '' : message.slice(crlf + 2) };
}

/** Builds one server→app message with a fresh message id. */
export function wireMessage(fields: readonly (string | number)[], sip?: string): string {
  const leader = [randomUUID(), ...fields].join('|');
  return sip === undefined ? leader : `${leader}\r\n${sip}`;
}
