// SDP for T.38 over UDPTL (`m=image <port> udptl t38`, ITU-T T.38 Annex E / RFC 4612 attributes):
// render an offer, read a peer's media section, and answer by lowering every parameter to what
// both sides support. Attribute names are matched case-insensitively (peers differ); booleans may
// be bare (`a=T38FaxFillBitRemoval`) or valued (`:1` / `:0`). Bodies are capped at 64 KiB.
import { TerminalError } from '../../cluster/index.ts';
import type { ErrorCorrection } from './udptl.ts';

export class SdpError extends TerminalError {}

export const MAX_SDP_BYTES = 65536;

export type T38UdpEc = 't38UDPRedundancy' | 't38UDPFEC' | 't38UDPNoEC';
export type T38RateManagement = 'transferredTCF' | 'localTCF';

export interface T38SdpParams {
  readonly version: number;
  readonly maxBitRate: number;
  readonly rateManagement: T38RateManagement;
  readonly maxBuffer: number;
  readonly maxDatagram: number;
  readonly udpEc: T38UdpEc;
  readonly fillBitRemoval: boolean;
  readonly transcodingMMR: boolean;
  readonly transcodingJBIG: boolean;
}

/** What we offer: the values rtpengine and most gateways use, transferred TCF (mandatory on UDP). */
export const DEFAULT_T38_PARAMS: T38SdpParams = {
  version: 0,
  maxBitRate: 14400,
  rateManagement: 'transferredTCF',
  maxBuffer: 1800,
  maxDatagram: 400,
  udpEc: 't38UDPRedundancy',
  fillBitRemoval: false,
  transcodingMMR: false,
  transcodingJBIG: false,
};

const BIT_RATES = [2400, 4800, 7200, 9600, 12000, 14400] as const;

export interface T38Media {
  readonly address: string | undefined;
  readonly port: number;
  readonly params: T38SdpParams;
}

/** The `m=image` section (with `c=` when an address is given), CRLF-terminated lines. */
export function formatT38Media(port: number, params: T38SdpParams, address?: string): string {
  const lines = [`m=image ${port} udptl t38`];
  if (address !== undefined) lines.push(`c=IN ${address.includes(':') ? 'IP6' : 'IP4'} ${address}`);
  lines.push(
    `a=T38FaxVersion:${params.version}`,
    `a=T38MaxBitRate:${params.maxBitRate}`,
    `a=T38FaxRateManagement:${params.rateManagement}`,
    `a=T38FaxMaxBuffer:${params.maxBuffer}`,
    `a=T38FaxMaxDatagram:${params.maxDatagram}`,
    `a=T38FaxUdpEC:${params.udpEc}`,
  );
  if (params.fillBitRemoval) lines.push('a=T38FaxFillBitRemoval');
  if (params.transcodingMMR) lines.push('a=T38FaxTranscodingMMR');
  if (params.transcodingJBIG) lines.push('a=T38FaxTranscodingJBIG');
  return lines.map((l) => `${l}\r\n`).join('');
}

function flag(value: string | undefined): boolean {
  return value === undefined || value === '' || value === '1' || value.toLowerCase() === 'true';
}

function integer(name: string, value: string, min: number, max: number): number {
  if (!/^\d{1,9}$/.test(value)) throw new SdpError(`SDP ${name} is not a number: ${JSON.stringify(value)}`);
  const n = Number(value);
  if (n < min || n > max) throw new SdpError(`SDP ${name} ${n} is outside ${min}…${max}`);
  return n;
}

/** Reads the first `m=image … udptl t38` section of an SDP body; undefined when there is none. */
export function parseT38Media(sdp: string): T38Media | undefined {
  if (sdp.length > MAX_SDP_BYTES)
    throw new SdpError(`SDP body of ${sdp.length} bytes exceeds ${MAX_SDP_BYTES}`);
  const lines = sdp.split(/\r?\n/);
  let sessionAddress: string | undefined;
  let mediaAddress: string | undefined;
  let port: number | undefined;
  let inImage = false;
  const attrs = new Map<string, string>();
  for (const line of lines) {
    if (line.startsWith('m=')) {
      if (inImage) break;
      const m = /^m=image (\d+)(?:\/\d+)? udptl t38\b/i.exec(line);
      if (m && m[1] !== undefined) {
        inImage = true;
        port = integer('port', m[1], 0, 65535);
      }
      continue;
    }
    if (line.startsWith('c=')) {
      const address = /^c=IN IP[46] ([^\s/]+)/.exec(line)?.[1];
      if (inImage) mediaAddress = address;
      else if (port === undefined) sessionAddress = address;
      continue;
    }
    if (inImage && line.startsWith('a=')) {
      const colon = line.indexOf(':');
      const name = (colon < 0 ? line.slice(2) : line.slice(2, colon)).trim().toLowerCase();
      attrs.set(name, colon < 0 ? '' : line.slice(colon + 1).trim());
    }
  }
  if (port === undefined) return undefined;
  const get = (name: string): string | undefined => attrs.get(name.toLowerCase());
  const ec = get('T38FaxUdpEC');
  const udpEc: T38UdpEc =
    ec === undefined
      ? 't38UDPNoEC'
      : /fec/i.test(ec)
        ? 't38UDPFEC'
        : /redundancy/i.test(ec)
          ? 't38UDPRedundancy'
          : 't38UDPNoEC';
  const rate = get('T38FaxRateManagement');
  const params: T38SdpParams = {
    version: integer('T38FaxVersion', get('T38FaxVersion') ?? '0', 0, 3),
    maxBitRate: integer('T38MaxBitRate', get('T38MaxBitRate') ?? '14400', 2400, 33600),
    rateManagement: rate !== undefined && /local/i.test(rate) ? 'localTCF' : 'transferredTCF',
    maxBuffer: integer('T38FaxMaxBuffer', get('T38FaxMaxBuffer') ?? '1800', 0, 1_000_000),
    maxDatagram: integer('T38FaxMaxDatagram', get('T38FaxMaxDatagram') ?? '400', 0, 65535),
    udpEc,
    fillBitRemoval: attrs.has('t38faxfillbitremoval') && flag(get('T38FaxFillBitRemoval')),
    transcodingMMR: attrs.has('t38faxtranscodingmmr') && flag(get('T38FaxTranscodingMMR')),
    transcodingJBIG: attrs.has('t38faxtranscodingjbig') && flag(get('T38FaxTranscodingJBIG')),
  };
  return { address: mediaAddress ?? sessionAddress, port, params };
}

/** Our answer to a peer's offer: every parameter at most what both sides support. */
export function answerT38(offer: T38SdpParams, local: T38SdpParams = DEFAULT_T38_PARAMS): T38SdpParams {
  const rate = Math.min(offer.maxBitRate, local.maxBitRate);
  const udpEc: T38UdpEc =
    offer.udpEc === 't38UDPNoEC' || local.udpEc === 't38UDPNoEC'
      ? 't38UDPNoEC'
      : offer.udpEc === 't38UDPFEC' && local.udpEc === 't38UDPFEC'
        ? 't38UDPFEC'
        : 't38UDPRedundancy';
  return {
    version: Math.min(offer.version, local.version),
    maxBitRate: [...BIT_RATES].reverse().find((r) => r <= rate) ?? 2400,
    // The answerer must echo the offer's method (T.38 Annex E); over UDP that is transferredTCF.
    rateManagement: offer.rateManagement,
    maxBuffer: Math.min(offer.maxBuffer, local.maxBuffer),
    maxDatagram: Math.min(offer.maxDatagram, local.maxDatagram),
    udpEc,
    fillBitRemoval: offer.fillBitRemoval && local.fillBitRemoval,
    transcodingMMR: offer.transcodingMMR && local.transcodingMMR,
    transcodingJBIG: offer.transcodingJBIG && local.transcodingJBIG,
  };
}

/** How our UDPTL sender should protect packets under the negotiated parameters. */
export function errorCorrectionFor(params: T38SdpParams, secondaries = 3): ErrorCorrection {
  if (params.udpEc === 't38UDPFEC') return { mode: 'fec', span: 3, entries: 3 };
  if (params.udpEc === 't38UDPRedundancy') return { mode: 'redundancy', secondaries };
  return { mode: 'none' };
}

/** The engine's T.38 settings for negotiated parameters (src/fax T38SessionParams shape). */
export function engineParamsFor(params: T38SdpParams) {
  return {
    version: params.version,
    maxBitRate: params.maxBitRate,
    maxDatagram: params.maxDatagram,
    maxBuffer: params.maxBuffer,
    fillBitRemoval: params.fillBitRemoval,
    mmrTranscoding: params.transcodingMMR,
    jbigTranscoding: params.transcodingJBIG,
  };
}
