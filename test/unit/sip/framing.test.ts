import { describe, expect, it } from 'vitest';
import {
  FrameDecoder,
  FramingError,
  encodeFrame,
  parseWireMessage,
  wireMessage,
} from '../../../src/sip/embedded-server/framing.ts';

describe('drachtio framing', () => {
  it('splits frames across and within chunks, counting UTF-8 bytes', () => {
    const decoder = new FrameDecoder(1024);
    const one = encodeFrame('id1|sip|network\r\nINVITE sip:ü@x SIP/2.0');
    const two = encodeFrame('id2|ping');
    const bytes = Buffer.from(one + two);
    expect(decoder.push(bytes.subarray(0, 10))).toEqual([]);
    expect(decoder.push(bytes.subarray(10))).toEqual([
      'id1|sip|network\r\nINVITE sip:ü@x SIP/2.0',
      'id2|ping',
    ]);
  });

  it('rejects a missing or oversize length prefix', () => {
    expect(() => new FrameDecoder(1024).push(Buffer.from('abc#def'))).toThrow(FramingError);
    expect(() => new FrameDecoder(1024).push(Buffer.from('2000#x'))).toThrow(FramingError);
    expect(() => new FrameDecoder(1024).push(Buffer.from('0#'))).toThrow(FramingError);
    expect(() => new FrameDecoder(1024).push(Buffer.from('12345678901'))).toThrow(FramingError);
  });

  it('parses the leader and keeps the SIP text after the first CRLF', () => {
    const message = parseWireMessage('m1|sip|txn|dlg\r\nBYE sip:a@b SIP/2.0\r\nX: 1');
    expect(message).toEqual({
      msgId: 'm1',
      command: 'sip',
      args: ['txn', 'dlg'],
      sip: 'BYE sip:a@b SIP/2.0\r\nX: 1',
    });
    expect(() => parseWireMessage('|')).toThrow(FramingError);
  });

  it('builds server messages with a fresh id', () => {
    const text = wireMessage(['response', 'rid', 'OK'], 'SIP/2.0 200 OK');
    const parsed = parseWireMessage(text);
    expect(parsed.command).toBe('response');
    expect(parsed.args).toEqual(['rid', 'OK']);
    expect(parsed.msgId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
