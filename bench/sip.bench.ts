// `npm run bench -- sip [calls] [rate]`: answered calls per second through the embedded server and
// the srf adapter (INVITE → 200 → ACK → BYE, sipp's built-in `uac` as the caller, loopback UDP).
// Anchor in the same run: the same sipp caller against sipp's built-in `uas` (C++, no app hop).
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { findExecutable, findFreePort } from '../src/local-services/index.ts';
import { createLogger } from '../src/observability/index.ts';
import { startSipNode } from '../src/sip/index.ts';
import { report } from './report.ts';

const SDP =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8\r\n';

async function sipp(args: readonly string[]): Promise<number> {
  const child = spawn(findExecutable('sipp', 'sip-tester'), [...args, '-nostdin', '-i', '127.0.0.1'], {
    stdio: 'ignore',
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
}

/** Calls per second for `calls` sipp uac calls at up to `rate`/s against `remote`. */
async function callsPerSecond(remote: string, calls: number, rate: number): Promise<number> {
  const started = performance.now();
  const code = await sipp([
    remote,
    '-sn',
    'uac',
    '-d',
    '0',
    '-m',
    String(calls),
    '-r',
    String(rate),
    '-l',
    '200',
    '-timeout',
    '120s',
    '-timeout_error',
    '-p',
    String(await findFreePort()),
  ]);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`sipp uac against ${remote} failed with exit code ${code}`);
  return calls / seconds;
}

export async function run(args: readonly string[]): Promise<void> {
  const calls = Number(args[0] ?? 2000);
  const rate = Number(args[1] ?? 2000);

  const node = await startSipNode({
    drachtio: {
      kind: 'embedded',
      server: { secret: 'bench', rateLimit: { capacity: 100_000, ratePerSecond: 100_000 } },
    },
    trunks: [],
    inbound: {
      lookupDid: () => Promise.resolve('active'),
      unknownDidStatus: 404,
      hasCapacity: () => true,
      retryAfterSeconds: 5,
      t38Policy: 'accept-peer',
    },
    logger: createLogger({
      level: 'error',
      nodeName: 'bench',
      destination: new Writable({ write: (_c, _e, done) => done() }),
    }),
  });
  node.signalling.onInbound({
    offer: () => Promise.resolve({ kind: 'answer', sdp: SDP }),
    answered: () => undefined,
  });
  const ours = await callsPerSecond(`127.0.0.1:${node.embedded?.sipUdpPort ?? 0}`, calls, rate);
  await node.close();

  const uasPort = await findFreePort();
  const uas = sipp(['-sn', 'uas', '-p', String(uasPort), '-m', String(calls), '-timeout', '120s']);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const anchor = await callsPerSecond(`127.0.0.1:${uasPort}`, calls, rate);
  await uas;

  report({
    bench: 'sip',
    metric: 'answered_calls_per_s',
    ours,
    anchor: 'sipp -sn uas',
    anchor_value: anchor,
    calls,
    offered_rate: rate,
  });
}
