// The folder rules hold for the real tree, and the checker really catches each kind of violation.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkBoundaries } from '../helpers/boundaries.ts';

const root = path.resolve(import.meta.dirname, '../..');

function repositoryTree(): Map<string, string> {
  const listed = execFileSync(
    'git',
    ['ls-files', '--cached', '--others', '--exclude-standard', '--', '*.ts', '*.js'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  const files = new Map<string, string>();
  for (const file of listed.split('\n').filter(Boolean)) {
    try {
      files.set(file, readFileSync(path.join(root, file), 'utf8'));
    } catch {
      // deleted in the working tree but still in the index
    }
  }
  return files;
}

describe('folder boundaries', () => {
  it('hold for every file in the repository', () => {
    const tree = repositoryTree();
    expect(tree.size).toBeGreaterThan(10);
    expect(checkBoundaries(tree).map((v) => v.message)).toEqual([]);
  });

  it('refuse I/O in actors/', () => {
    const violations = checkBoundaries(
      new Map([
        [
          'actors/fax-job.ts',
          "import { setup } from 'xstate';\nimport { readFile } from 'node:fs/promises';",
        ],
        ['actors/index.ts', "export { x } from './fax-job.ts';"],
      ]),
    );
    expect(violations).toEqual([
      expect.objectContaining({ rule: 'actors-purity', file: 'actors/fax-job.ts' }),
    ]);
  });

  it('refuse cluster/ importing src/', () => {
    const violations = checkBoundaries(
      new Map([
        ['cluster/host.ts', "import { loadConfig } from '../src/config/index.ts';"],
        ['src/config/index.ts', 'export const loadConfig = 1;'],
      ]),
    );
    expect(violations.map((v) => v.rule)).toEqual(['cluster-independence']);
  });

  it('refuse reaching past a folder index, but allow tests to', () => {
    const violations = checkBoundaries(
      new Map([
        ['src/email/send.ts', "import { encode } from '../documents/codec/t6.ts';"],
        ['test/unit/t6.test.ts', "import { encode } from '../../src/documents/codec/t6.ts';"],
        ['src/documents/codec/t6.ts', 'export const encode = 1;'],
      ]),
    );
    expect(violations).toEqual([expect.objectContaining({ rule: 'index-only', file: 'src/email/send.ts' })]);
  });

  it('refuse cycles between files and between folders, ignoring `import type`', () => {
    const violations = checkBoundaries(
      new Map([
        ['src/sip/a.ts', "import { b } from './b.ts';"],
        ['src/sip/b.ts', "import { a } from './a.ts';"],
        [
          'src/sip/index.ts',
          "import type { Config } from '../config/index.ts';\nexport { a } from './a.ts';",
        ],
        ['src/config/index.ts', "import { a } from '../sip/index.ts';"],
        ['src/fax/index.ts', "import { m } from '../media/index.ts';"],
        ['src/media/index.ts', "import { f } from '../fax/index.ts';"],
      ]),
    );
    const cycles = violations.filter((v) => v.rule === 'cycle').map((v) => v.message);
    expect(cycles).toContain('import cycle between files: src/sip/a.ts → src/sip/b.ts');
    expect(
      cycles.some((m) => m.includes('between folders') && m.includes('src/fax') && m.includes('src/media')),
    ).toBe(true);
    expect(cycles.some((m) => m.includes('src/config'))).toBe(false);
  });
});
