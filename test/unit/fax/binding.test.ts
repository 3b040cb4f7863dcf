// The addon's guard rails: misuse is a typed error, never a crash, and hostile IFPs from the
// network are absorbed by SpanDSP's parser.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FaxOptionsError, nativeBinding, T38Terminal } from '../../../src/fax/index.ts';
import { makeTempDir } from '../../helpers/index.ts';
import { seededRandom } from './simulation.ts';

const receiveJob = () => ({ direction: 'receive' as const, file: path.join(makeTempDir(), 'rx.tif') });

describe('SpanDSP addon guard rails', () => {
  it('refuses calls on a released session and calls back into a session from its own callback', () => {
    let reentered: unknown;
    const terminal: T38Terminal = new T38Terminal({
      calling: false,
      job: receiveJob(),
      transmit: () => {
        try {
          terminal.tick();
        } catch (error) {
          reentered ??= error;
        }
      },
    });
    for (let i = 0; i < 100 && reentered === undefined; i++) terminal.tick();
    expect(reentered).toMatchObject({ code: 'ERR_FAX_REENTRANT' });
    terminal.release();
    expect(() => terminal.tick()).toThrow(FaxOptionsError);
    terminal.release(); // twice is harmless
  });

  it('rejects wrong argument types with TypeErrors', () => {
    const native = nativeBinding();
    expect(() => native.createT38Terminal(true, 'not a function' as never)).toThrow(TypeError);
    const terminal = new T38Terminal({ calling: true, job: receiveJob(), transmit: () => undefined });
    expect(() => terminal.receiveIfp(new Int16Array(4) as never, 0)).toThrow(TypeError);
    terminal.release();
  });

  it('survives 20,000 random IFPs (the network is hostile) and still ends the call cleanly', () => {
    const random = seededRandom(42);
    const terminal = new T38Terminal({ calling: false, job: receiveJob(), transmit: () => undefined });
    for (let i = 0; i < 20_000; i++) {
      const ifp = Uint8Array.from({ length: 1 + Math.floor(random() * 300) }, () =>
        Math.floor(random() * 256),
      );
      terminal.receiveIfp(ifp, i & 0xffff);
      if (i % 10 === 0) terminal.tick();
    }
    terminal.hangUp();
    expect(terminal.result?.ok).toBe(false);
    terminal.release();
  });
});

describe('requestSchedulerSlice', () => {
  it('sets the calling thread’s EEVDF slice where Linux offers it, and refuses nonsense', () => {
    const native = nativeBinding();
    expect(native.requestSchedulerSlice(0)).toBe(false);
    // Only this test runner's thread is affected; where the kernel has no such slice, false.
    if (!native.requestSchedulerSlice(500)) return;
    const sched = readFileSync('/proc/thread-self/sched', 'utf8');
    expect(/se\.slice\s*:\s*(\d+)/.exec(sched)?.[1]).toBe('500000');
  });
});
