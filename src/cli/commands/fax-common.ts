// What `fax send` and `fax receive` share: argument parsing for media options, progress lines and
// the JSON summary, and raw media mode: one fax channel in this process on its own 20 ms clock,
// both sides agreeing on UDP addresses beforehand. SIP mode is in src/fax-call.
import dgram from 'node:dgram';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { FaxJobOptions, FaxResult } from '../../fax/index.ts';
import {
  DEFAULT_T38_PARAMS,
  FaxChannel,
  MediaClock,
  type Endpoint,
  type FaxChannelEvents,
  type FaxChannelStats,
  type MediaSpec,
} from '../../media/index.ts';
import { createLogger, type Logger } from '../../observability/index.ts';
import { UsageError, type CliIo } from '../command.ts';

export const MEDIA_USAGE = [
  '  --t38                 T.38 over UDPTL (default)',
  '  --audio               G.711 audio over RTP',
  '  --law pcmu|pcma       G.711 law for --audio (default pcma; a SIP receiver follows the offer)',
  '  --no-ecm              disable error correction mode',
  '  --secondaries N       UDPTL redundancy depth (default 3; 0 = none)',
  '  --ident TEXT          our TSI/CSI (≤ 20 characters)',
  '  --timeout SECONDS     give up after this long (default 300)',
];

export const MEDIA_OPTIONS = {
  t38: { type: 'boolean' },
  audio: { type: 'boolean' },
  law: { type: 'string' },
  'no-ecm': { type: 'boolean' },
  secondaries: { type: 'string' },
  ident: { type: 'string' },
  timeout: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export function parseFaxArgs<O extends NonNullable<ParseArgsConfig['options']>>(
  args: readonly string[],
  options: O,
) {
  try {
    return parseArgs({
      args: [...args],
      options: { ...MEDIA_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

export function parseEndpoint(label: string, value: string | undefined): Endpoint {
  const match = value === undefined ? null : /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (!match?.[1] || !(port > 0 && port < 65536))
    throw new UsageError(`${label} needs host:port, got ${value ?? 'nothing'}`);
  return { host: match[1], port };
}

function positiveNumber(label: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new UsageError(`${label} must be a non-negative number, got ${value}`);
  return n;
}

export interface MediaChoice {
  readonly media: MediaSpec;
  readonly ecm: boolean;
  readonly ident: string | undefined;
  readonly timeoutMs: number;
}

export function mediaChoice(values: Record<string, string | boolean | undefined>): MediaChoice {
  if (values['t38'] && values['audio']) throw new UsageError('choose one of --t38 and --audio');
  const law = (values['law'] as string | undefined) ?? 'pcma';
  if (law !== 'pcmu' && law !== 'pcma') throw new UsageError(`--law must be pcmu or pcma, got ${law}`);
  const secondaries = positiveNumber('--secondaries', values['secondaries'] as string | undefined, 3);
  const media: MediaSpec = values['audio']
    ? { kind: 'audio', law }
    : {
        kind: 't38',
        params: { ...DEFAULT_T38_PARAMS, udpEc: secondaries > 0 ? 't38UDPRedundancy' : 't38UDPNoEC' },
        secondaries,
      };
  return {
    media,
    ecm: !values['no-ecm'],
    ident: values['ident'] as string | undefined,
    timeoutMs: positiveNumber('--timeout', values['timeout'] as string | undefined, 300) * 1000,
  };
}

export interface FaxRunOptions {
  readonly local: Endpoint;
  readonly remote?: Endpoint;
  readonly media: MediaSpec;
  readonly job: FaxJobOptions;
  readonly calling: boolean;
  readonly timeoutMs: number;
}

/** Runs one fax to its end; prints progress and a JSON summary; resolves to the exit code. */
export async function runFax(options: FaxRunOptions, io: CliIo): Promise<number> {
  const socket = dgram.createSocket(options.local.host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.local.port, options.local.host, () => resolve());
  });
  socket.on('error', () => undefined);
  const started = Date.now();
  const progress = faxProgress(io);
  const channel = new FaxChannel(
    {
      media: options.media,
      job: options.job,
      calling: options.calling,
      ...(options.remote ? { remote: options.remote } : {}),
    },
    socket,
    progress.events,
  );
  io.out(
    `${options.job.direction === 'send' ? 'sending' : 'receiving'} on ${options.local.host}:${socket.address().port} (${options.media.kind})`,
  );
  await new Promise<void>((resolve) => {
    const clock = new MediaClock(() => {
      const timedOut = Date.now() - started > options.timeoutMs;
      if (timedOut) channel.hangUp();
      if (timedOut || channel.tick()) {
        clock.stop();
        resolve();
      }
    });
    clock.start();
  });
  socket.close();
  await channel.flush();
  return printSummary(io, {
    result: channel.result,
    media: options.media.kind,
    remoteIdent: progress.remoteIdent(),
    started,
    packets: channel.stats,
  });
}

/** Prints the fax's progress: the negotiated session and one line per confirmed page. */
export function faxProgress(io: CliIo, onPage?: FaxChannelEvents['onPageConfirmed']) {
  let remoteIdent: string | undefined;
  const events: FaxChannelEvents = {
    onNegotiated: (n) => {
      remoteIdent = n.remoteIdent;
      io.out(`negotiated: ${n.bitRate} bit/s, ECM ${n.ecm ? 'on' : 'off'}, remote "${n.remoteIdent}"`);
    },
    onPageConfirmed: (p) => {
      remoteIdent ||= p.remoteIdent;
      onPage?.(p);
      io.out(
        `page ${p.pageNumber} ${p.direction === 'send' ? 'confirmed by the far end' : 'received'}: ${p.resolution}, ${p.encoding}, ${p.length} rows, bad rows ${p.badRows}`,
      );
    },
  };
  return { events, remoteIdent: () => remoteIdent };
}

export interface FaxSummary {
  readonly result: FaxResult | undefined;
  readonly media: 't38' | 'audio';
  readonly remoteIdent: string | undefined;
  readonly started: number;
  readonly packets: FaxChannelStats;
}

/** The JSON summary line; on failure also the T.30 result on stderr. Resolves to the exit code. */
export function printSummary(io: CliIo, summary: FaxSummary): number {
  const { result } = summary;
  io.out(
    JSON.stringify({
      ok: result?.ok ?? false,
      code: result?.code,
      text: result?.text ?? 'timed out',
      pages: result?.pagesConfirmed ?? 0,
      bitRate: result?.stats.bitRate,
      ecm: result?.stats.ecm,
      media: summary.media,
      remoteIdent: summary.remoteIdent,
      seconds: Math.round((Date.now() - summary.started) / 100) / 10,
      packets: summary.packets,
    }),
  );
  if (result?.ok) return 0;
  io.err(`fax failed: ${result?.text ?? 'timed out'}`);
  return 1;
}

/** A SIP fax's outcome as the summary line and exit code (both SIP commands end this way). */
export function printSipOutcome(
  io: CliIo,
  outcome: { result: FaxSummary['result']; media: FaxSummary['media']; channel: FaxSummary['packets'] },
  progress: { remoteIdent(): string | undefined },
  started: number,
): number {
  return printSummary(io, {
    result: outcome.result,
    media: outcome.media,
    remoteIdent: progress.remoteIdent(),
    started,
    packets: outcome.channel,
  });
}

/** What a SIP fax offers or accepts for T.38, from the command's media options. */
export function sipT38Options(choice: MediaChoice) {
  if (choice.media.kind !== 't38') return { t38: undefined };
  const { params, secondaries } = choice.media;
  return { t38: params, ...(secondaries !== undefined ? { secondaries } : {}) };
}

/** SIP call set-up failed (busy, 404, …): exit code 3, so scripts can tell it from a T.30 failure. */
export const CALL_FAILED_EXIT = 3;

/** src/sip and src/media log warnings and errors to stderr, as JSON lines. */
export function cliLogger(): Logger {
  return createLogger({
    level: 'warn',
    nodeName: 'faxswitch-cli',
    destination: process.stderr,
  });
}

export interface SipAddress {
  /** The dialled number: user part of the URI. */
  readonly number: string;
  readonly host: string;
  readonly port: number;
}

/** `sip:<number>@<host[:port]>` (port 5060 when absent). */
export function parseSipUri(value: string): SipAddress {
  const match = /^sips?:([^@;]+)@(\[[^\]]+\]|[^:;]+)(?::(\d{1,5}))?$/.exec(value);
  const port = match?.[3] === undefined ? 5060 : Number(match[3]);
  if (!match?.[1] || !match[2] || !(port > 0 && port < 65536))
    throw new UsageError(`--to needs sip:<number>@<host[:port]> or host:port, got ${value}`);
  return { number: match[1], host: match[2].replace(/^\[|\]$/g, ''), port };
}
