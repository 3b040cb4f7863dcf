// Typed refusals of the image layer (codec, TIFF, PDF). Every one is terminal: the same bytes fail
// the same way again. Messages name the page and the problem so a user can read them in a status
// email ("page 3: strip offset beyond end of file"); 415/554 are what the intake answers with.
import { TerminalError, type FaxswitchErrorOptions } from '../../cluster/index.ts';

const UNSUPPORTED = { http: 415, smtp: { code: 554, enhanced: '5.6.1' } } as const;
const TOO_LARGE = { http: 413, smtp: { code: 552, enhanced: '5.3.4' } } as const;

/** The bytes are not a valid image of the claimed kind (corrupt, truncated, inconsistent). */
export class InvalidImageError extends TerminalError {
  constructor(message: string, options: FaxswitchErrorOptions = {}) {
    super(message, { wire: UNSUPPORTED, ...options });
  }
}

/** A valid file using a feature we do not implement (e.g. uncompressed mode, JPEG in TIFF). */
export class UnsupportedImageError extends TerminalError {
  constructor(message: string, options: FaxswitchErrorOptions = {}) {
    super(message, { wire: UNSUPPORTED, ...options });
  }
}

/** The input exceeds a configured limit (bytes, width, height, pages): refused before allocating. */
export class ImageLimitError extends TerminalError {
  constructor(message: string, options: FaxswitchErrorOptions = {}) {
    super(message, { wire: TOO_LARGE, ...options });
  }
}

/** Decoding took longer than its time budget (a decompression bomb or pathological data). */
export class DecodeTimeoutError extends ImageLimitError {}

/** The PDF is encrypted / password protected, so its pages cannot be read. */
export class EncryptedDocumentError extends TerminalError {
  constructor(message: string, options: FaxswitchErrorOptions = {}) {
    super(message, { wire: UNSUPPORTED, ...options });
  }
}

/** The same error, its message prefixed with the page it happened on ("page 3: …"). */
export function onPage(error: unknown, page: number): unknown {
  if (!(error instanceof TerminalError) || /^page \d+:/.test(error.message)) return error;
  const PageError = error.constructor as new (
    message: string,
    options: FaxswitchErrorOptions,
  ) => TerminalError;
  return new PageError(`page ${page}: ${error.message}`, { cause: error, wire: error.wire });
}
