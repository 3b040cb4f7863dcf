// What a person does first: `npm start` on one machine. The node starts its own Redis and NATS,
// becomes ready, refuses outbound faxes until a trunk is configured, and Ctrl-C leaves nothing behind.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, runFaxswitch, startNodeProcess, type NodeProcess } from '../../helpers/index.ts';

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
  let node: NodeProcess | undefined;
  afterEach(() => {
    node?.child.kill('SIGKILL');
  });

  it('is ready within 15 s with private Redis and NATS, and Ctrl-C stops them all', async () => {
    const started = Date.now();
    node = await startNodeProcess({ LOG_LEVEL: 'info' });
    expect(Date.now() - started).toBeLessThan(15_000);
    const readiness = await (await fetch(`${node.httpUrl}/readyz`)).json();
    expect(readiness).toEqual({ status: 'ready', checks: { redis: 'ok', nats: 'ok', actors: 'ok' } });
    expect(node.output()).toContain(`listening on ${node.httpUrl}`);
    expect(node.output()).toMatch(/SIP on 127\.0\.0\.1:\d+/);
    expect((await fetch(`${node.httpUrl}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${node.httpUrl}/metrics`)).text()).toContain('faxswitch_process_cpu');

    // Without a trunk (the default) a fax from the command line is refused before anything is
    // stored: nothing waits in the list for a trunk that may never come.
    const text = path.join(makeTempDir('faxswitch-submit-'), 'note.txt');
    writeFileSync(text, 'A fax nobody can send yet.\n');
    const account = ['account', 'add', 'acme', '--name', 'ACME GmbH', '--allow-country', 'DE'];
    expect((await runFaxswitch(account, node.env)).code).toBe(0);
    const submitted = await runFaxswitch(
      ['outbound', 'submit', text, '--to', '030-1234567', '--account', 'acme', '--sender', 'a@acme.example'],
      node.env,
    );
    expect(submitted.code).toBe(1);
    expect(submitted.stderr).toMatch(
      /no SIP trunk is configured for outbound faxes \(FAXSWITCH_SIP_TRUNKS\)/,
    );
    expect((await runFaxswitch(['outbound', 'list'], node.env)).stdout.trim()).toBe('no outbound faxes yet');

    const servers = childrenOf(node.child.pid!);
    expect(servers.map((s) => s.command).join('\n')).toMatch(/redis-server/);
    expect(servers.map((s) => s.command).join('\n')).toMatch(/nats-server/);

    const exited = once(node.child, 'exit');
    node.child.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(servers.filter((server) => isAlive(server.pid))).toEqual([]);
  });

  it('refuses to start on a bad variable, naming it', async () => {
    const result = await runFaxswitch(['start'], { ...process.env, FAXSWITCH_LEASE_TTL: 'forever' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/FAXSWITCH_LEASE_TTL="forever" is not accepted/);
  });
});
