// Runs one sipp scenario from test/fixtures/sipp against a SIP address, on loopback with a free
// local port, one call (-m 1) and a 20 s global timeout; resolves with sipp's exit code (0 = the
// scenario passed) and its error log for the failure message.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { findExecutable } from '../../../src/local-services/index.ts';
import { makeTempDir, waitFor } from '../../helpers/index.ts';

export const SIPP_SCENARIOS = path.resolve(import.meta.dirname, '../../fixtures/sipp');

export interface SippRun {
  readonly code: number | null;
  readonly errors: string;
}

export interface SippOptions {
  /** `host:port` to call (UAC scenarios); omit for UAS scenarios. */
  readonly remote?: string;
  /** Request-URI user (`[service]`). */
  readonly service?: string;
  readonly localPort?: number;
}

/** A UDP port nobody holds right now (findFreePort checks TCP, and SIP here is UDP). */
export async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export async function runSipp(scenario: string, options: SippOptions): Promise<SippRun> {
  const sipp = findExecutable('sipp', 'sip-tester');
  const dir = makeTempDir('sipp-');
  const errorFile = path.join(dir, 'errors.log');
  const args = [
    ...(options.remote === undefined ? [] : [options.remote]),
    '-sf',
    path.join(SIPP_SCENARIOS, scenario),
    '-m',
    '1',
    '-timeout',
    '20s',
    '-timeout_error',
    '-i',
    '127.0.0.1',
    '-p',
    String(options.localPort ?? (await freeUdpPort())),
    '-mi',
    '127.0.0.1',
    '-mp',
    String(await freeUdpPort()),
    '-s',
    options.service ?? '4940123456',
    '-nostdin',
    '-trace_err',
    '-error_file',
    errorFile,
  ];
  const child = spawn(sipp, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) =>
    child.on('exit', (exitCode) => resolve(exitCode)),
  );
  const errors = await readFile(errorFile, 'utf8').catch(() => '');
  return { code, errors: `${stderr}\n${errors}`.trim() };
}

/** Resolves once something (sipp as UAS) has bound UDP `port` on loopback. */
export async function waitForUdpListener(port: number): Promise<void> {
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const probe = dgram.createSocket('udp4');
        probe.once('error', () => {
          probe.close();
          resolve(true);
        });
        probe.bind(port, '127.0.0.1', () => probe.close(() => resolve(false)));
      }),
    { what: `a UDP listener on port ${port}` },
  );
}
