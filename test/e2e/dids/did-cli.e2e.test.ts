// An operator manages numbers with the `faxswitch did` commands against a running single-machine
// node (which they find through its state directory).
import { writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, runFaxswitch, startNodeProcess, type NodeProcess } from '../../helpers/index.ts';

describe('faxswitch did', () => {
  let node: NodeProcess;
  const did = (...args: string[]) => runFaxswitch(['did', ...args], node.env);

  beforeAll(async () => {
    node = await startNodeProcess();
  });
  afterAll(() => {
    node.child.kill('SIGINT');
  });

  it('adds, shows, disables and lists numbers', async () => {
    const added = await did(
      'add',
      '+49 30 555 0100',
      '--account',
      'acme',
      '--email',
      'fax@acme.example',
      '--email',
      'boss@acme.example',
    );
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/added \+49305550100 {2}active {2}account acme/);

    expect((await did('disable', '+49305550100')).stdout).toBe('+49305550100 is now inactive\n');
    const shown = await did('show', '+49305550100');
    expect(shown.stdout).toMatch(/INACTIVE/);
    expect(shown.stdout).toMatch(/recipients: fax@acme\.example, boss@acme\.example/);

    const duplicate = await did('add', '+49305550100', '--account', 'acme', '--email', 'x@acme.example');
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/already registered; use update/);

    const bad = await did('add', '12', '--account', 'acme', '--email', 'nope');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/'12' is not an E\.164 number.*'nope' is not an email address/);
  });

  it('imports a CSV file, reports bad rows by line, and exports it back', async () => {
    const dir = makeTempDir();
    const input = path.join(dir, 'dids.csv');
    writeFileSync(
      input,
      'number,active,account,recipients\n+15557000001,true,beta,a@beta.example\n+1555,true,beta,a@beta.example\n+15557000002,false,beta,b@beta.example;c@beta.example\n',
    );
    const imported = await did('import', input);
    expect(imported.code).toBe(1); // some rows were refused: scripts can tell
    expect(imported.stdout).toMatch(/imported 2 numbers, rejected 1 rows/);
    expect(imported.stderr).toMatch(/line 3: .*not an E\.164 number/);

    const listed = await did('list', '--account', 'beta');
    expect(listed.stdout.trim().split('\n')).toHaveLength(2);

    const output = path.join(dir, 'out.csv');
    expect((await did('export', output)).stdout).toMatch(/exported 3 numbers/);
    expect(readFileSync(output, 'utf8')).toContain(
      '+15557000002,false,beta,b@beta.example;c@beta.example,pdf',
    );
  });

  it('says how to reach a node when none runs', async () => {
    const result = await runFaxswitch(['did', 'list'], {
      ...process.env,
      FAXSWITCH_STATE_DIR: makeTempDir(),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no running faxswitch node found .* start one with `npm start`/);
  });
});
