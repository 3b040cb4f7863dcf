// Refusals cross the worker boundary as data and must arrive as the same class with the same
// words and wire codes, whatever the kind.
import { describe, expect, it } from 'vitest';
import {
  DocumentTooLargeError,
  DocumentUnreadableError,
  NothingFaxableError,
  PasswordProtectedError,
  RenderOutOfMemoryError,
  RenderTimeoutError,
  TooManyPagesError,
  TooManyPixelsError,
} from '../../../../src/documents/index.ts';
import { fromRenderFailure, toRenderFailure } from '../../../../src/documents/render/errors.ts';

describe('render refusals', () => {
  it.each([
    [
      new NothingFaxableError('setup.exe'),
      'nothing faxable in setup.exe: its content is not a PDF, image, text or office document',
    ],
    [new PasswordProtectedError('invoice.pdf'), 'invoice.pdf is password protected'],
    [new PasswordProtectedError('invoice.pdf', 3), 'page 3 of invoice.pdf is password protected'],
    [
      new DocumentTooLargeError('big.pdf', 60 * 1024 * 1024, 50 * 1024 * 1024),
      'big.pdf is 60.0 MB; the limit is 50.0 MB',
    ],
    [new TooManyPagesError('book.pdf', 400, 350), 'book.pdf has 400 pages; the limit is 350'],
    [
      new TooManyPixelsError('scan.tif', 30000, 20000, 100e6, 2),
      'page 2 of scan.tif is 30000×20000 pixels; the limit is 100 megapixels',
    ],
    [
      new RenderTimeoutError('slow.pdf', 120_000),
      'slow.pdf took longer than 120 s to render and was abandoned',
    ],
    [new RenderOutOfMemoryError('heavy.pdf', 512), 'heavy.pdf needs more than 512 MB of memory to render'],
    [
      new DocumentUnreadableError('x.pdf', 'PDFium could not load it', 7),
      'page 7 of x.pdf could not be read: PDFium could not load it',
    ],
  ])('%s survives the trip from the worker', (error, message) => {
    expect(error.message).toBe(message);
    expect(error.retryable).toBe(false);
    const rebuilt = fromRenderFailure(structuredClone(toRenderFailure(error)));
    expect(rebuilt).toBeInstanceOf(error.constructor);
    expect(rebuilt.message).toBe(message);
    expect(rebuilt.wire).toEqual(error.wire);
    expect(rebuilt.page).toBe(error.page);
    expect(rebuilt.name).toBe(error.constructor.name);
  });

  it('carries the SMTP and HTTP codes a sender sees', () => {
    expect(new NothingFaxableError('a').wire).toEqual({ smtp: { code: 554, enhanced: '5.6.1' }, http: 415 });
    expect(new TooManyPagesError('a', 2, 1).wire).toEqual({
      smtp: { code: 552, enhanced: '5.3.4' },
      http: 413,
    });
  });
});
