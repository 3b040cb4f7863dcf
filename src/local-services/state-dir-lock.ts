// One node per state directory: two nodes sharing ./var would run two redis-servers on one AOF file.
// The lock is a pid file created exclusively; a lock left by a process that no longer exists is taken over.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TerminalError } from '../../cluster/index.ts';

export class StateDirInUseError extends TerminalError {}

export interface StateDirLock {
  release(): void;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockStateDir(stateDir: string): StateDirLock {
  mkdirSync(stateDir, { recursive: true });
  const lockFile = path.join(stateDir, 'faxswitch.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx' });
      return { release: () => rmSync(lockFile, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(lockFile, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && isRunning(owner)) {
        throw new StateDirInUseError(
          `another faxswitch node (pid ${owner}) is running with state directory ${stateDir}; ` +
            'stop it or set FAXSWITCH_STATE_DIR to another directory',
        );
      }
      rmSync(lockFile, { force: true }); // left behind by a node that died; take it over
    }
  }
  throw new StateDirInUseError(`could not lock state directory ${stateDir}`);
}
