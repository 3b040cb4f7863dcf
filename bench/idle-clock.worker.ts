// An empty 20 ms media clock in its own worker thread: the baseline for the channels benchmark.
// Late ticks it sees come from the machine (other processes, CPU contention), not from fax work.
// It wakes as often as a media worker does (`workerData.tickPhases` times per 20 ms tick), and asks
// the kernel for the same time slice: the same clock, without the channels.
import { parentPort, workerData } from 'node:worker_threads';
import { nativeBinding, TICK_MS } from '../src/fax/index.ts';
import { MEDIA_THREAD_SLICE_US, MediaClock } from '../src/media/index.ts';

nativeBinding().requestSchedulerSlice(MEDIA_THREAD_SLICE_US);

const clock = new MediaClock(() => undefined, {
  periodMs: TICK_MS / (workerData as { tickPhases: number }).tickPhases,
});
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
