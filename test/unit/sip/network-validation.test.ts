import sip from 'sip';
import { describe, expect, it } from 'vitest';
import { badRequestFor, validateSipMessage } from '../../../src/sip/embedded-server/network.ts';

const INVITE = [
  'INVITE sip:4940123456@127.0.0.1 SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1',
  'From: <sip:1@127.0.0.1>;tag=a',
  'To: <sip:4940123456@127.0.0.1>',
  'Call-ID: c1',
  'CSeq: 1 INVITE',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

function check(text: string): string | undefined {
  const message = sip.parse(text);
  if (message === undefined) return 'unparseable';
  return validateSipMessage(message, Buffer.byteLength(text.slice(text.indexOf('\r\n\r\n') + 4)));
}

describe('SIP input validation', () => {
  it('accepts a well-formed request', () => {
    expect(check(INVITE)).toBeUndefined();
  });

  it.each([
    ['a CSeq without a number', INVITE.replace('CSeq: 1 INVITE', 'CSeq: INVITE')],
    ['a CSeq method that differs', INVITE.replace('CSeq: 1 INVITE', 'CSeq: 1 BYE')],
    ['no Call-ID', INVITE.replace('Call-ID: c1\r\n', '')],
    ['a body shorter than Content-Length', INVITE.replace('Content-Length: 0', 'Content-Length: 10')],
    ['a bad Request-URI', INVITE.replace('INVITE sip:4940123456@127.0.0.1', 'INVITE nonsense')],
  ])('refuses %s', (_name, text) => {
    expect(check(text)).toBeDefined();
  });

  it('builds a 400 from raw header lines, but never for an ACK or a response', () => {
    const reply = badRequestFor(INVITE.replace('CSeq: 1 INVITE', 'CSeq: INVITE'), 'invalid "CSeq"\r\n');
    expect(reply).toMatch(
      /^SIP\/2\.0 400 Bad Request\r\nVia: SIP\/2\.0\/UDP 127\.0\.0\.1:5062;branch=z9hG4bK1\r\n/,
    );
    expect(reply).toContain('Call-ID: c1');
    expect(reply).not.toMatch(/invalid "CSeq"\r\n\r\n/);
    expect(badRequestFor(INVITE.replace(/^INVITE/, 'ACK'), 'x')).toBeUndefined();
    expect(badRequestFor('SIP/2.0 200 OK\r\n', 'x')).toBeUndefined();
    expect(badRequestFor(INVITE.replace('Call-ID: c1\r\n', ''), 'x')).toBeUndefined();
  });
});
