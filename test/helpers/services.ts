// Real redis-server and nats-server for tests, on random loopback ports with temporary data
// directories. Every process started here is killed when the test process ends, even on failure:
// by an exit hook in the worker, and by the global teardown from the pid files left in the run dir.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createLocalNats,
  createLocalRedis,
  type LocalServer,
  type ManagedProcess,
} from '../../src/local-services/index.ts';

export const TEST_RUN_DIR_VARIABLE = 'FAXSWITCH_TEST_RUN_DIR';

const running = new Set<ManagedProcess>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const managed of running) {
      if (managed.pid !== undefined) {
        try {
          process.kill(managed.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
}

function pidFileDir(): string | undefined {
  const runDir = process.env[TEST_RUN_DIR_VARIABLE];
  if (!runDir) return undefined;
  const dir = path.join(runDir, 'pids');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Makes a temporary directory that is removed when the test process exits. */
export function makeTempDir(prefix = 'faxswitch-test-'): string {
  installExitHook();
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** Tracks a process so the exit hook and the global teardown can kill it. */
function track(managed: ManagedProcess): void {
  installExitHook();
  const pids = pidFileDir();
  running.add(managed);
  managed.on('spawn', (pid) => {
    if (pids) writeFileSync(path.join(pids, String(pid)), managed.options.name);
  });
}

export interface TestServer extends LocalServer {
  /** Stops the server and removes its data. */
  dispose(): Promise<void>;
}

async function launch(create: typeof createLocalRedis, prefix: string): Promise<TestServer> {
  const dataDir = makeTempDir(prefix);
  const server = await create({ dataDir });
  track(server.process);
  await server.process.start();
  return {
    ...server,
    async dispose() {
      await server.process.stop(2_000);
      running.delete(server.process);
      rmSync(dataDir, { recursive: true, force: true });
      tempDirs.delete(dataDir);
    },
  };
}

/** A private redis-server (AOF on) on a random loopback port. */
export function startRedis(): Promise<TestServer> {
  return launch(createLocalRedis, 'faxswitch-redis-');
}

/** A private nats-server with JetStream on a random loopback port. */
export function startNats(): Promise<TestServer> {
  return launch(createLocalNats, 'faxswitch-nats-');
}
