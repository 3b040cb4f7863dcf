// Runs the real `faxswitch` command as a separate process, as a person would: a node started with
// `faxswitch start`, and one-shot commands against it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { findFreePort } from '../../src/local-services/index.ts';
import { makeTempDir } from './services.ts';
import { waitFor } from './wait.ts';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin/faxswitch.js');

export interface NodeProcess {
  readonly child: ChildProcess;
  readonly stateDir: string;
  readonly httpUrl: string;
  readonly env: NodeJS.ProcessEnv;
  /** Everything the node printed so far. */
  output(): string;
}

export async function startNodeProcess(extraEnv: NodeJS.ProcessEnv = {}): Promise<NodeProcess> {
  const stateDir = makeTempDir('faxswitch-node-');
  const port = await findFreePort();
  const env = {
    ...process.env,
    FAXSWITCH_STATE_DIR: stateDir,
    FAXSWITCH_HTTP_LISTEN: `127.0.0.1:${port}`,
    // Never the well-known 5060: tests run beside each other and beside whatever the machine runs.
    FAXSWITCH_SIP_LISTEN: `127.0.0.1:${await findFreePort()}`,
    ...extraEnv,
  };
  const chunks: string[] = [];
  const child = spawn(process.execPath, [bin, 'start'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  process.once('exit', () => child.kill('SIGKILL'));
  const httpUrl = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${httpUrl}/readyz`)).status === 200, {
    timeoutMs: 15_000,
    intervalMs: 100,
    what: '/readyz to answer 200',
  });
  return { child, stateDir, httpUrl, env, output: () => chunks.join('') };
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `faxswitch <args>` to completion with the given environment. */
export function runFaxswitch(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: root, env, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
