// Runs once per `vitest` invocation: gives every worker a run directory, and on teardown kills any
// server a crashed worker left behind (their pids are recorded under <run dir>/pids).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_RUN_DIR_VARIABLE } from './services.ts';

export default function setup(): () => void {
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'faxswitch-run-'));
  process.env[TEST_RUN_DIR_VARIABLE] = runDir;
  return () => {
    const pidDir = path.join(runDir, 'pids');
    let pids: string[] = [];
    try {
      pids = readdirSync(pidDir);
    } catch {
      // no server was started
    }
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already exited
      }
    }
    rmSync(runDir, { recursive: true, force: true });
  };
}
