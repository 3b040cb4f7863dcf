import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockStateDir, StateDirInUseError } from '../../../src/local-services/index.ts';
import { makeTempDir } from '../../helpers/index.ts';

describe('lockStateDir', () => {
  it('lets one node own a state directory and refuses a second, naming the owner', () => {
    const dir = makeTempDir();
    const lock = lockStateDir(dir);
    expect(() => lockStateDir(dir)).toThrow(StateDirInUseError);
    expect(() => lockStateDir(dir)).toThrow(new RegExp(`pid ${process.pid}`));
    lock.release();
    lockStateDir(dir).release();
  });

  it('takes over a lock left by a node that died', () => {
    const dir = makeTempDir();
    const dead = spawnSync('true').pid;
    writeFileSync(path.join(dir, 'faxswitch.pid'), `${dead}\n`);
    const lock = lockStateDir(dir);
    lock.release();
  });
});
