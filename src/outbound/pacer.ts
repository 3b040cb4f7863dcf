// Paces starts across the whole cluster: calls on a trunk (a carrier's calls-per-second limit holds
// for all our nodes together, not for each) and emails to a mail domain. One key per paced thing in
// Redis, updated by a script that reads Redis's clock: one start every 1/perSecond s, evenly spaced,
// so no second ever holds more than `perSecond` starts. A start is counted when it is allowed, so a
// caller that then fails to start (an aborted call) has used its place: the pace errs on the safe side.
import path from 'node:path';
import type { Redis } from 'ioredis';
import { scriptLibrary, ScriptRunner, sleep } from '../../cluster/index.ts';

const LIBRARY = scriptLibrary(path.join(import.meta.dirname, 'lua'), 'faxswitch_outbound');

export class ClusterPacer {
  readonly #scripts: ScriptRunner<'takePace'>;
  readonly #prefix: string;

  constructor(redis: Redis, options: { prefix: string }) {
    this.#scripts = new ScriptRunner(redis, LIBRARY);
    this.#prefix = options.prefix;
  }

  /**
   * Resolves when `name` may start its next one at `perSecond`, with the milliseconds it waited for
   * its place; `signal` gives up the wait.
   */
  async take(name: string, perSecond: number, signal?: AbortSignal): Promise<number> {
    if (!(perSecond > 0)) throw new RangeError(`pace for ${name} must be above 0 per second`);
    const args = [String(1000 / perSecond)];
    let waited = 0;
    for (;;) {
      signal?.throwIfAborted();
      const waitMs = Number(await this.#scripts.run('takePace', [`${this.#prefix}:${name}`], args));
      if (waitMs <= 0) return waited;
      await sleep(waitMs, signal);
      waited += waitMs;
    }
  }
}
