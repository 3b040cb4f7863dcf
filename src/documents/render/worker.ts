// The render worker: runs the renderers (PDFium WASM, sharp, text layout) on one untrusted
// attachment at a time, in a child process the host kills on a deadline and whose V8 heap is capped.
// A process, not a thread: V8 may abort the whole process on some out-of-memory paths, and a native
// crash in libvips kills its process — either way a hostile file costs this child, never the node.
import sharp from 'sharp';
import { type BitonalMode } from './bitonal.ts';
import { decodeText } from './detect.ts';
import {
  DocumentRefusedError,
  DocumentUnreadableError,
  NothingFaxableError,
  toRenderFailure,
  type RenderFailure,
} from './errors.ts';
import { pageGeometry, type PaperSize, type RenderedPages } from './geometry.ts';
import { renderFaxPdf } from './fax-pages.ts';
import { htmlToText } from './html.ts';
import { renderImage } from './image.ts';
import { renderPdf } from './pdf.ts';
import { renderText } from './text.ts';
import { type FaxResolution } from '../page.ts';

export interface RenderRequest {
  readonly id: number;
  readonly bytes: Uint8Array;
  /** What detection found; office documents arrive here already converted to PDF. */
  readonly type: 'pdf' | 'image' | 'text' | 'html';
  readonly name: string;
  readonly resolution: FaxResolution;
  readonly paperSize: PaperSize;
  readonly mode: BitonalMode;
  readonly maxPages: number;
  readonly maxPixels: number;
  readonly maxHeapBytes: number;
  /** Epoch milliseconds; the host terminates the worker then, sharp is told to stop by then. */
  readonly deadline: number;
}

export type RenderResponse =
  | { readonly id: number; readonly ok: true; readonly result: RenderedPages }
  | { readonly id: number; readonly ok: false; readonly failure: RenderFailure }
  | { readonly id: number; readonly ok: false; readonly crash: string };

async function render(request: RenderRequest): Promise<RenderedPages> {
  const geometry = pageGeometry(request.resolution, request.paperSize);
  const { name, maxPages } = request;
  switch (request.type) {
    case 'pdf':
      return (
        (await renderFaxPdf(request.bytes, geometry, maxPages)) ??
        renderPdf(request.bytes, {
          name,
          geometry,
          mode: request.mode,
          maxPages,
          maxHeapBytes: request.maxHeapBytes,
        })
      );
    case 'image':
      return renderImage(request.bytes, {
        name,
        geometry,
        mode: request.mode,
        maxPages,
        maxPixels: request.maxPixels,
        deadline: request.deadline,
      });
    case 'text':
    case 'html': {
      const text = decodeText(request.bytes);
      if (text === undefined) throw new DocumentUnreadableError(name, 'it is not text');
      const body = request.type === 'html' ? htmlToText(text) : text;
      // A blank fax helps no one: say so instead of sending white pages.
      if (body.trim() === '') throw new NothingFaxableError(name, 'it contains no text');
      const pages = await renderText(body, { name, geometry, maxPages });
      return { pages, rotatedPages: [] };
    }
  }
}

const send = process.send?.bind(process);
if (send !== undefined) {
  // One document at a time: libvips' operation cache would only keep a hostile file's pixels alive.
  sharp.cache(false);
  process.on('message', (request: RenderRequest) => {
    render(request).then(
      (result) => {
        const response: RenderResponse = { id: request.id, ok: true, result };
        send(response);
      },
      (error: unknown) => {
        const response: RenderResponse =
          error instanceof DocumentRefusedError
            ? { id: request.id, ok: false, failure: toRenderFailure(error) }
            : {
                id: request.id,
                ok: false,
                crash: error instanceof Error ? (error.stack ?? error.message) : String(error),
              };
        send(response);
      },
    );
  });
}
