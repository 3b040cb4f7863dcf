// Shared by the SIP integration and end-to-end tests: the drachtio server under test (the embedded
// one by default; a real drachtio-server when DRACHTIO_URL is set — the contract suite), srf
// signalling wired to it, and SDP bodies. Everything binds to loopback on random ports.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../../src/observability/index.ts';
import {
  EmbeddedDrachtioServer,
  SrfSignalling,
  type EmbeddedServerOptions,
  type InboundPolicy,
  type TrunkConfig,
} from '../../../src/sip/index.ts';

export interface SipTarget {
  readonly kind: 'embedded' | 'drachtio-server';
  readonly controlHost: string;
  readonly controlPort: number;
  readonly secret: string;
  /** Where peers send SIP (UDP). */
  readonly sipHost: string;
  readonly sipPort: number;
  /** Only for the embedded server: its counters and knobs. */
  readonly embedded: EmbeddedDrachtioServer | undefined;
  close(): Promise<void>;
}

export interface EmbeddedTargetOptions {
  readonly rateLimit?: { capacity: number; ratePerSecond: number };
  readonly tls?: EmbeddedServerOptions['tls'];
}

/** The contract-suite target. DRACHTIO_URL=drachtio://host:port (control), DRACHTIO_SECRET,
 * DRACHTIO_SIP=host:port (its SIP listener); unset: an embedded server on random loopback ports. */
export async function startSipTarget(): Promise<SipTarget> {
  const url = process.env['DRACHTIO_URL'];
  if (url === undefined || url === '') return startEmbeddedTarget();
  const control = new URL(url);
  const [sipHost = '127.0.0.1', sipPort = '5060'] = (process.env['DRACHTIO_SIP'] ?? '127.0.0.1:5060').split(
    ':',
  );
  return {
    kind: 'drachtio-server',
    controlHost: control.hostname,
    controlPort: Number(control.port || 9022),
    secret: process.env['DRACHTIO_SECRET'] ?? 'cymru',
    sipHost,
    sipPort: Number(sipPort),
    embedded: undefined,
    close: () => Promise.resolve(),
  };
}

/** Always an embedded server: for tests of its own features and for several independent nodes. */
export async function startEmbeddedTarget(
  options: EmbeddedTargetOptions = {},
): Promise<SipTarget & { embedded: EmbeddedDrachtioServer }> {
  const server = await EmbeddedDrachtioServer.start({
    secret: 'test-secret',
    ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
    ...(options.tls === undefined ? {} : { tls: options.tls }),
  });
  return {
    kind: 'embedded',
    controlHost: server.host,
    controlPort: server.controlPort,
    secret: 'test-secret',
    sipHost: server.host,
    sipPort: server.sipUdpPort,
    embedded: server,
    close: () => server.close(),
  };
}

export function quietLogger(): Logger {
  return createLogger({
    level: 'warn',
    nodeName: 'sip-test',
    destination: new Writable({ write: (_chunk, _encoding, done) => done() }),
  });
}

export const activeDids = (dids: readonly string[]): InboundPolicy['lookupDid'] => {
  const known = new Set(dids);
  return (did) => Promise.resolve(known.has(did) ? 'active' : 'unknown');
};

export function inboundPolicy(overrides: Partial<InboundPolicy> = {}): InboundPolicy {
  return {
    lookupDid: activeDids(['4940123456']),
    unknownDidStatus: 404,
    hasCapacity: () => true,
    retryAfterSeconds: 30,
    t38Policy: 'offer-on-reinvite',
    ...overrides,
  };
}

export function trunk(overrides: Partial<TrunkConfig> & Pick<TrunkConfig, 'name' | 'proxy'>): TrunkConfig {
  return {
    codecs: ['PCMA', 'PCMU'],
    t38Policy: 'offer-on-reinvite',
    maxChannels: 10,
    callsPerSecond: 10,
    setupTimeoutMs: 2000,
    answerTimeoutMs: 10_000,
    ...overrides,
  };
}

export async function startSignalling(
  target: SipTarget,
  options: { trunks?: readonly TrunkConfig[]; inbound?: Partial<InboundPolicy> } = {},
): Promise<SrfSignalling> {
  return SrfSignalling.start({
    connection: {
      mode: 'connect',
      host: target.controlHost,
      port: target.controlPort,
      secret: target.secret,
    },
    trunks: options.trunks ?? [],
    inbound: inboundPolicy(options.inbound),
    logger: quietLogger(),
  });
}

export function audioSdp(port: number, version = 1, sessionId = 1000): string {
  return [
    'v=0',
    `o=faxswitch ${sessionId} ${version} IN IP4 127.0.0.1`,
    's=fax',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP 8 0`,
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:0 PCMU/8000',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

export function t38Sdp(port: number, version = 2, sessionId = 1000): string {
  return [
    'v=0',
    `o=faxswitch ${sessionId} ${version} IN IP4 127.0.0.1`,
    's=fax',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=image ${port} udptl t38`,
    'a=T38FaxVersion:0',
    'a=T38MaxBitRate:14400',
    'a=T38FaxRateManagement:transferredTCF',
    'a=T38FaxMaxBuffer:1800',
    'a=T38FaxMaxDatagram:512',
    'a=T38FaxUdpEC:t38UDPRedundancy',
    '',
  ].join('\r\n');
}
