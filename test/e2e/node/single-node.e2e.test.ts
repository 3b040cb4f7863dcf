// What a person does first: `npm start` on one machine. The node starts its own Redis and NATS,
// becomes ready, and Ctrl-C leaves nothing behind.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findFreePort } from '../../../src/local-services/index.ts';
import { makeTempDir, waitFor } from '../../helpers/index.ts';

const root = path.resolve(import.meta.dirname, '../../..');

/** The node's child processes as `pid command` lines. */
function childrenOf(pid: number): { pid: number; command: string }[] {
  try {
    return execFileSync('pgrep', ['-a', '-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((line) => ({ pid: Number(line.split(' ')[0]), command: line }));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('single-node start', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
  });

  it('is ready within 15 s with private Redis and NATS, and Ctrl-C stops them all', async () => {
    const stateDir = makeTempDir('faxswitch-node-');
    const port = await findFreePort();
    const output: string[] = [];
    child = spawn(process.execPath, [path.join(root, 'bin/faxswitch.js'), 'start'], {
      cwd: root,
      env: {
        ...process.env,
        FAXSWITCH_STATE_DIR: stateDir,
        FAXSWITCH_HTTP_LISTEN: `127.0.0.1:${port}`,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));

    const started = Date.now();
    const readiness = await waitFor(
      async () => {
        const response = await fetch(`http://127.0.0.1:${port}/readyz`);
        return response.status === 200 ? await response.json() : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100, what: '/readyz to answer 200' },
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(readiness).toEqual({ status: 'ready', checks: { redis: 'ok', nats: 'ok' } });
    expect(output.join('')).toContain(`listening on http://127.0.0.1:${port}`);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain('faxswitch_process_cpu');

    const servers = childrenOf(child.pid!);
    expect(servers.map((s) => s.command).join('\n')).toMatch(/redis-server/);
    expect(servers.map((s) => s.command).join('\n')).toMatch(/nats-server/);

    const exited = once(child, 'exit');
    child.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(servers.filter((server) => isAlive(server.pid))).toEqual([]);
  });

  it('refuses to start on a bad variable, naming it', async () => {
    child = spawn(process.execPath, [path.join(root, 'bin/faxswitch.js'), 'start'], {
      cwd: root,
      env: { ...process.env, FAXSWITCH_LEASE_TTL: 'forever' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(stderr).toMatch(/FAXSWITCH_LEASE_TTL="forever" is not accepted/);
  });
});
