// CPU time of benchmark processes from /proc (Linux). Wall time on a shared machine swings with
// other people's load; user + system CPU time swings far less. Clock ticks are 10 ms (USER_HZ
// is 100 on Linux), so time whole runs, not single pages.
import { readFileSync, readdirSync } from 'node:fs';

const TICK_MS = 10;

/** Fields 4 and 14–17 of /proc/<pid>/stat: the parent, utime + stime, cutime + cstime. */
function stat(pid: number | 'self'): { parent: number; ownMs: number; reapedMs: number } {
  // The command name may hold spaces and parentheses; the numbers follow its last ')'.
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text
    .slice(text.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  return {
    parent: fields[1]!,
    ownMs: (fields[11]! + fields[12]!) * TICK_MS,
    reapedMs: (fields[13]! + fields[14]!) * TICK_MS,
  };
}

/** Children that have exited and been waited for (a tool run with spawnSync or execFile). */
export function reapedChildrenCpuMs(): number {
  return stat('self').reapedMs;
}

/** Live children of this process (worker processes that outlive one task). Reads all of /proc. */
export function childProcessIds(): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (stat(Number(entry)).parent === process.pid) children.push(Number(entry));
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return children;
}

/** This process and the given live children; cheap enough to sit inside a timed window. */
export function ownAndChildrenCpuMs(children: readonly number[]): number {
  const { user, system } = process.cpuUsage();
  return children.reduce((ms, pid) => ms + stat(pid).ownMs, (user + system) / 1000);
}
