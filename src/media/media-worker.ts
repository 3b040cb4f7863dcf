// A media worker thread: hosts many fax channels on its own 20 ms clock, so garbage collection
// and signalling work on the main thread never delay media. Spawned by MediaNode; speaks only the
// messages in worker-protocol.ts.
//
// The channels are spread over `tickPhases` groups, and the clock wakes once per group, evenly
// spaced: every channel still ticks every 20 ms, but one wake-up carries only its group's work,
// and the datagrams the channels send leave in smaller bursts instead of all at once.
import dgram from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { nativeBinding, T30_ERR_CALLDROPPED, TICK_MS } from '../fax/index.ts';
import { FaxChannel } from './channel.ts';
import { MEDIA_THREAD_SLICE_US, MediaClock } from './clock.ts';
import type { FromWorker, MediaWorkerData, ToWorker } from './worker-protocol.ts';

const port = parentPort;
if (!port) throw new Error('media-worker.ts must run as a worker thread');

// A parallel scavenge ends when V8's helper threads have done their share, so on a busy host its
// pause is as long as the OS takes to run them: 0.2 ms of work took 5-60 ms (p90-max, 500 faxes,
// load average 4-7). A media worker's young generation is small and almost all garbage (~0.2 MB
// survives), so its own thread does it in ~0.5 ms, and a wait for the CPU is then its own wait.
// The flag is process-wide; the main thread's scavenges are as small.
v8.setFlagsFromString('--no-parallel-scavenge');

// On a busy host most late ticks are time this thread spent runnable, waiting for a CPU. A shorter
// slice gets it picked sooner when a tick is due (EEVDF's latency hint; same CPU share). At 500
// faxes, four interleaved pairs of runs: late ticks 0.1-3.4 % with it, 0.2-6.7 % without.
nativeBinding().requestSchedulerSlice(MEDIA_THREAD_SLICE_US);
const { tickPhases } = workerData as MediaWorkerData;

interface Entry {
  readonly channel: FaxChannel;
  readonly socket: dgram.Socket;
  readonly group: Map<number, Entry>;
}

let lastUtilization = performance.eventLoopUtilization();
const channels = new Map<number, Entry>();
const groups = Array.from({ length: tickPhases }, () => new Map<number, Entry>());
const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

const clock = new MediaClock(
  (tick) => {
    for (const [id, entry] of groups[tick % tickPhases]!) {
      let done: boolean;
      try {
        done = entry.channel.tick();
      } catch (error) {
        // A failing channel must not stop the others: end it, its result says why.
        entry.channel.hangUp();
        done = true;
        void error;
      }
      if (done) close(id);
    }
  },
  // The same 200 ms catch-up bound as an unstaggered 20 ms clock.
  { periodMs: TICK_MS / tickPhases, maxCatchUp: 10 * tickPhases },
);

/** Ends the channel's membership here at once; reports it completed when a received fax's file is
 * written (on the thread pool, so the clock keeps ticking meanwhile). */
function close(id: number): void {
  const entry = channels.get(id);
  if (!entry) return;
  channels.delete(id);
  entry.group.delete(id);
  entry.socket.close();
  const result = entry.channel.result;
  const completed = (fileError?: string) =>
    post({
      type: 'completed',
      id,
      channel: entry.channel.stats,
      result: result
        ? {
            ok: result.ok,
            code: result.code,
            text: result.text,
            pagesConfirmed: result.pagesConfirmed,
            stats: result.stats,
          }
        : { ok: false, code: T30_ERR_CALLDROPPED, text: 'The call dropped prematurely', pagesConfirmed: 0 },
      ...(fileError ? { fileError } : {}),
    });
  entry.channel.flush().then(
    () => completed(),
    (error: unknown) => completed(error instanceof Error ? error.message : String(error)),
  );
}

function open(message: Extract<ToWorker, { type: 'open' }>): void {
  const socket = dgram.createSocket({ type: message.host.includes(':') ? 'udp6' : 'udp4' });
  socket.once('error', (error: NodeJS.ErrnoException) => {
    socket.close();
    post({ type: 'openFailed', id: message.id, code: error.code, message: error.message });
  });
  socket.bind(message.port, message.host, () => {
    socket.removeAllListeners('error');
    socket.on('error', () => undefined); // ICMP unreachable and the like: UDP carries on
    try {
      const channel = new FaxChannel(message.spec, socket, {
        onNegotiated: (negotiated) => post({ type: 'negotiated', id: message.id, negotiated }),
        onTone: (tone) => post({ type: 'tone', id: message.id, tone }),
        onPageConfirmed: (page) =>
          post(
            { type: 'page', id: message.id, page },
            page.page ? [page.page.data.buffer as ArrayBuffer] : [],
          ),
      });
      const group = groups.reduce((a, b) => (b.size < a.size ? b : a));
      const entry = { channel, socket, group };
      channels.set(message.id, entry);
      group.set(message.id, entry);
      post({ type: 'opened', id: message.id, port: socket.address().port });
    } catch (error) {
      socket.close();
      post({
        type: 'openFailed',
        id: message.id,
        code: undefined,
        message: error instanceof Error ? error.message : String(error),
      });
    }
  });
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'open':
      open(message);
      return;
    case 'connect':
      channels.get(message.id)?.channel.connect(message.remote);
      return;
    case 'hangup': {
      channels.get(message.id)?.channel.hangUp();
      close(message.id);
      return;
    }
    case 'stats': {
      const now = performance.eventLoopUtilization();
      const utilization = performance.eventLoopUtilization(now, lastUtilization).utilization;
      lastUtilization = now;
      post({
        type: 'stats',
        requestId: message.requestId,
        stats: { clock: { ...clock.stats }, channels: channels.size, utilization },
      });
      if (message.resetMaxLateness) clock.resetMaxLateness();
      return;
    }
    case 'stop':
      clock.stop();
      for (const id of [...channels.keys()]) {
        channels.get(id)?.channel.hangUp();
        close(id);
      }
      port.close();
      return;
  }
});

clock.start();
