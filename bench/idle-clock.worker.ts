// An empty 20 ms media clock in its own worker thread: the baseline for the channels benchmark.
// Late ticks it sees come from the machine (other processes, CPU contention), not from fax work.
import { parentPort } from 'node:worker_threads';
import { MediaClock } from '../src/media/index.ts';

const clock = new MediaClock(() => undefined);
clock.start();
parentPort?.on('message', (message: string) => {
  if (message === 'stats') {
    parentPort?.postMessage({ ...clock.stats });
    clock.resetMaxLateness();
  }
  if (message === 'stop') {
    clock.stop();
    parentPort?.close();
  }
});
