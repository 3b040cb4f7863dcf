// What `fax send` and `fax receive` share: argument parsing for media options and running one fax
// channel in this process on its own 20 ms clock (raw media mode: both sides agree on UDP
// addresses beforehand; SIP call set-up comes with the SIP layer).
import dgram from 'node:dgram';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { FaxJobOptions } from '../../fax/index.ts';
import {
  DEFAULT_T38_PARAMS,
  FaxChannel,
  MediaClock,
  type Endpoint,
  type MediaSpec,
} from '../../media/index.ts';
import { UsageError, type CliIo } from '../command.ts';

export const MEDIA_USAGE = [
  '  --t38                 T.38 over UDPTL (default)',
  '  --audio               G.711 audio over RTP',
  '  --law pcmu|pcma       G.711 law for --audio (default pcma)',
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
  const channel = new FaxChannel(
    {
      media: options.media,
      job: options.job,
      calling: options.calling,
      ...(options.remote ? { remote: options.remote } : {}),
    },
    socket,
    {
      onNegotiated: (n) =>
        io.out(`negotiated: ${n.bitRate} bit/s, ECM ${n.ecm ? 'on' : 'off'}, remote "${n.remoteIdent}"`),
      onPageConfirmed: (p) =>
        io.out(
          `page ${p.pageNumber} ${p.direction === 'send' ? 'confirmed by the far end' : 'received'}: ${p.resolution}, ${p.encoding}, ${p.length} rows, bad rows ${p.badRows}`,
        ),
    },
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
  const result = channel.result;
  io.out(
    JSON.stringify({
      ok: result?.ok ?? false,
      code: result?.code,
      text: result?.text ?? 'timed out',
      pages: result?.pagesConfirmed ?? 0,
      bitRate: result?.stats.bitRate,
      ecm: result?.stats.ecm,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      packets: channel.stats,
    }),
  );
  return result?.ok ? 0 : 1;
}
