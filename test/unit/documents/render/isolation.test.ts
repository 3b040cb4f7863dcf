// Limits and isolation: a render that overruns its time is abandoned (its worker terminated) and
// the renderer keeps serving; a worker that runs out of heap costs that worker only; oversized
// input is refused before any work.
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DocumentRenderer,
  DocumentUnreadableError,
  DocumentTooLargeError,
  RenderOutOfMemoryError,
  RenderTimeoutError,
} from '../../../../src/documents/index.ts';
import { pdfWithRectangles, textPdf } from './support.ts';

const renderer = new DocumentRenderer({ workers: 1 });
afterAll(() => renderer.close());

describe('render limits and isolation', () => {
  it('refuses input over the byte limit before looking at it', async () => {
    const refusal = renderer.render(new Uint8Array(2 * 1024 * 1024), {
      name: 'huge.pdf',
      limits: { maxBytes: 1024 * 1024 },
    });
    await expect(refusal).rejects.toThrow(DocumentTooLargeError);
    await expect(refusal).rejects.toThrow('huge.pdf is 2.0 MB; the limit is 1.0 MB');
  });

  it('abandons a render past its deadline and renders the next document normally', async () => {
    const slow = await textPdf(40);
    const started = performance.now();
    const refusal = renderer.render(slow, { name: 'slow.pdf', limits: { timeoutMs: 50 } });
    await expect(refusal).rejects.toThrow(RenderTimeoutError);
    await expect(refusal).rejects.toThrow('slow.pdf took longer than 50 ms to render and was abandoned');
    expect(performance.now() - started).toBeLessThan(1000);
    const next = await renderer.render(await pdfWithRectangles([{ x: 0, y: 0, width: 9, height: 9 }]), {
      name: 'next.pdf',
    });
    expect(next.pages).toHaveLength(1);
  });

  it('turns a worker heap overflow into a refusal, and the node carries on', async () => {
    const small = new DocumentRenderer({ workers: 1, maxMemoryMb: 24 });
    try {
      // A body of 4 MB of distinct words: wrapping it allocates far more than a 24 MB heap.
      const words = Array.from({ length: 400_000 }, (_, i) => `w${i}`).join(' ');
      await expect(
        small.render(Buffer.from(words), { name: 'bomb.txt', limits: { maxPages: 100_000 } }),
      ).rejects.toThrow(RenderOutOfMemoryError);
      const after = await small.render(Buffer.from('still here'), { name: 'ok.txt' });
      expect(after.pages).toHaveLength(1);
    } finally {
      await small.close();
    }
  });

  it('survives a native crash of the render process (as a libvips fault would be)', async () => {
    const crashing = new DocumentRenderer({ workers: 1 });
    try {
      const slow = crashing.render(await textPdf(200), { name: 'crash.pdf' });
      // The render process is this process's child running the render worker.
      const renderPid = await waitForRenderProcess();
      process.kill(renderPid, 'SIGSEGV');
      await expect(slow).rejects.toThrow(DocumentUnreadableError);
      await expect(slow).rejects.toThrow(
        /crash\.pdf could not be read: the renderer stopped on it \(SIGSEGV\)/,
      );
      const after = await crashing.render(Buffer.from('still here'), { name: 'ok.txt' });
      expect(after.pages).toHaveLength(1);
    } finally {
      await crashing.close();
    }
  });
});

async function waitForRenderProcess(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      const pids = execFileSync('pgrep', ['-P', String(process.pid), '-f', 'render/worker.ts'], {
        encoding: 'utf8',
      });
      const pid = Number(pids.trim().split('\n').at(-1));
      if (pid > 0) return pid;
    } catch {
      // not started yet
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no render process appeared');
}
