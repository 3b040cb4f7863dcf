// Small pieces of RFC 3261 the embedded server needs around the `sip` package: tags, where a URI
// sends to, dialog ids in drachtio's format, and header copying that keeps the fields the server
// owns (Via, From/To tags, Call-ID, CSeq, Content-Length) out of the app's hands.
import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import sip, { type NameAddr, type SipMessage, type SipUri } from 'sip';
import type { Remote, SipProtocol } from './network.ts';

export function newTag(): string {
  return randomBytes(6).toString('hex');
}

export function newBranch(): string {
  return `z9hG4bK${randomBytes(8).toString('hex')}`;
}

/** drachtio's dialog id: Call-ID plus the From tag of the request that created the dialog. */
export function dialogIdOf(callId: string, fromTag: string): string {
  return `${callId};from-tag=${fromTag}`;
}

export function tagOf(address: NameAddr | undefined): string | undefined {
  const tag = address?.params['tag'];
  return typeof tag === 'string' && tag !== '' ? tag : undefined;
}

/** Where a request to `target` (a SIP URI or `host[:port]`) goes, after DNS A/AAAA lookup; a URI
 * without a transport parameter uses `defaultProtocol` (in a dialog: the flow it came in on). */
export async function resolveTarget(target: string, defaultProtocol: SipProtocol = 'udp'): Promise<Remote> {
  const text = /^sips?:/i.test(target) ? target : `sip:${target}`;
  const uri = sip.parseUri(text.replace(/^<|>$/g, ''));
  if (uri === undefined) throw new Error(`cannot route to '${target}': not a SIP URI`);
  const transport = (uri.params['transport'] ?? '').toLowerCase();
  const named: Record<string, SipProtocol> = { tls: 'tls', tcp: 'tcp', udp: 'udp' };
  const protocol: SipProtocol = uri.schema === 'sips' ? 'tls' : (named[transport] ?? defaultProtocol);
  const address = net.isIP(uri.host) !== 0 ? uri.host : (await lookup(uri.host)).address;
  const port = uri.port !== undefined && uri.port > 0 ? uri.port : protocol === 'tls' ? 5061 : 5060;
  return { protocol, address, port };
}

/** Header names the server fills in itself; the app's values for these are ignored. */
const SERVER_OWNED = new Set(['via', 'from', 'to', 'call-id', 'cseq', 'content-length', 'contact']);

/** Copies the app's own headers (X-…, Allow, Retry-After, auth, …) onto a message we build. */
export function copyAppHeaders(from: SipMessage, to: SipMessage): void {
  for (const [name, value] of Object.entries(from.headers)) {
    if (!SERVER_OWNED.has(name) && value !== undefined) to.headers[name] = value;
  }
}

/** Our Contact: the user part the app chose (if any) at our address and port. */
export function contactFor(
  appContact: SipMessage['headers']['contact'],
  host: string,
  port: number,
  protocol: SipProtocol,
): NameAddr[] {
  let user: string | undefined;
  if (Array.isArray(appContact) && appContact[0] !== undefined) user = sip.parseUri(appContact[0].uri)?.user;
  const transport = protocol === 'udp' ? '' : `;transport=${protocol}`;
  return [
    { uri: `sip:${user === undefined ? '' : `${user}@`}${formatHost(host)}:${port}${transport}`, params: {} },
  ];
}

export function formatHost(host: string): string {
  return net.isIPv6(host) ? `[${host}]` : host;
}

/** The URI string of a Contact or Record-Route entry. */
export function uriOf(value: unknown): string | undefined {
  if (Array.isArray(value) && value.length > 0) {
    const first = value[0] as { uri?: unknown };
    if (typeof first.uri === 'string') return first.uri;
    if (typeof first.uri === 'object' && first.uri !== null) return sip.stringifyUri(first.uri as SipUri);
  }
  return undefined;
}
