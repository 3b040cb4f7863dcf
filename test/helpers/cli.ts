// The `faxswitch` command as a real child process, the way operators run it: its output collected,
// each stdout line passed to `onLine` as it arrives (to wait for "listening …" before dialling).
import { spawn } from 'node:child_process';
import path from 'node:path';

const BIN = path.join(import.meta.dirname, '..', '..', 'bin', 'faxswitch.js');

export interface CliRun {
  readonly child: ReturnType<typeof spawn>;
  readonly exited: Promise<{ code: number | null; output: string }>;
}

export function faxswitch(args: readonly string[], onLine: (line: string) => void = () => undefined): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    for (const line of chunk.toString().split('\n')) if (line) onLine(line);
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, output })),
  );
  return { child, exited };
}
