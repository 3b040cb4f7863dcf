import { describe, expect, it } from 'vitest';
import { runCli, type CliCommand } from '../../../src/cli/index.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

const echo: CliCommand = {
  path: ['fax', 'echo'],
  summary: 'prints its arguments',
  usage: 'usage: faxswitch fax echo <words>',
  run: (args, io) => {
    io.out(args.join(' '));
    return Promise.resolve(0);
  },
};

describe('faxswitch CLI', () => {
  it('lists every command with its summary for --help', async () => {
    const { io, out } = capture();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(out.join('\n')).toMatch(/start\s+run a faxswitch node in the foreground/);
    expect(out.join('\n')).toMatch(/config\s+validate the environment/);
  });

  it('dispatches multi-word commands and passes the rest as arguments', async () => {
    const { io, out } = capture();
    expect(await runCli(['fax', 'echo', 'a', 'b'], io, [echo])).toBe(0);
    expect(out).toEqual(['a b']);
  });

  it('answers an unknown command with exit code 2 and the help', async () => {
    const { io, err } = capture();
    expect(await runCli(['frobnicate'], io, [echo])).toBe(2);
    expect(err.join('\n')).toMatch(/unknown command 'frobnicate'/);
  });

  it('prints a command usage for <command> --help', async () => {
    const { io, out } = capture();
    expect(await runCli(['fax', 'echo', '--help'], io, [echo])).toBe(0);
    expect(out).toEqual(['usage: faxswitch fax echo <words>']);
  });
});
