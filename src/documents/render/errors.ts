// Why an attachment could not be turned into fax pages, in words its sender can act on. Every
// refusal is terminal (rendering the same bytes again fails the same way) and names the attachment
// and, where it applies, the page. The error crosses the render worker boundary as plain data
// (`toRenderFailure`/`fromRenderFailure`), so the classes stay the single source of the wording.
import { TerminalError } from '../../../cluster/index.ts';

export type RenderRefusalKind =
  | 'nothing-faxable'
  | 'password-protected'
  | 'too-many-bytes'
  | 'too-many-pages'
  | 'too-many-pixels'
  | 'render-timeout'
  | 'out-of-memory'
  | 'unreadable';

/** Base of every refusal; `attachment` is the name the sender gave, `page` is 1-based. */
export abstract class DocumentRefusedError extends TerminalError {
  abstract readonly kind: RenderRefusalKind;
  readonly attachment: string;
  readonly page: number | undefined;
  /** The subclass's constructor arguments after `attachment`, so a worker can send it as data. */
  readonly args: readonly RefusalArg[];

  constructor(
    message: string,
    refusal: {
      attachment: string;
      page?: number | undefined;
      wire: DocumentRefusedWire;
      args: readonly RefusalArg[];
    },
    cause?: unknown,
  ) {
    super(message, { cause, wire: WIRE[refusal.wire] });
    this.attachment = refusal.attachment;
    this.page = refusal.page;
    this.args = refusal.args;
  }
}

type RefusalArg = string | number | undefined;
type DocumentRefusedWire = 'unsupported' | 'too-big' | 'policy';
// SMTP 554 5.6.1 "media not supported", 552 5.3.4 "message too big for system"; HTTP 415/413/422.
const WIRE = {
  unsupported: { smtp: { code: 554, enhanced: '5.6.1' }, http: 415 },
  'too-big': { smtp: { code: 552, enhanced: '5.3.4' }, http: 413 },
  policy: { smtp: { code: 554, enhanced: '5.6.0' }, http: 422 },
} as const;

export class NothingFaxableError extends DocumentRefusedError {
  readonly kind = 'nothing-faxable';
  constructor(attachment: string, detail = 'its content is not a PDF, image, text or office document') {
    super(`nothing faxable in ${attachment}: ${detail}`, { attachment, wire: 'unsupported', args: [detail] });
  }
}

export class PasswordProtectedError extends DocumentRefusedError {
  readonly kind = 'password-protected';
  constructor(attachment: string, page?: number) {
    super(
      page === undefined
        ? `${attachment} is password protected`
        : `page ${page} of ${attachment} is password protected`,
      { attachment, page, wire: 'policy', args: [page] },
    );
  }
}

export class DocumentTooLargeError extends DocumentRefusedError {
  readonly kind = 'too-many-bytes';
  constructor(attachment: string, bytes: number, limitBytes: number) {
    super(`${attachment} is ${formatBytes(bytes)}; the limit is ${formatBytes(limitBytes)}`, {
      attachment,
      wire: 'too-big',
      args: [bytes, limitBytes],
    });
  }
}

export class TooManyPagesError extends DocumentRefusedError {
  readonly kind = 'too-many-pages';
  constructor(attachment: string, pages: number, limitPages: number) {
    super(`${attachment} has ${pages} pages; the limit is ${limitPages}`, {
      attachment,
      wire: 'too-big',
      args: [pages, limitPages],
    });
  }
}

export class TooManyPixelsError extends DocumentRefusedError {
  readonly kind = 'too-many-pixels';
  constructor(attachment: string, width: number, height: number, limitPixels: number, page?: number) {
    const what = page === undefined ? attachment : `page ${page} of ${attachment}`;
    super(`${what} is ${width}×${height} pixels; the limit is ${(limitPixels / 1e6).toFixed(0)} megapixels`, {
      attachment,
      page,
      wire: 'too-big',
      args: [width, height, limitPixels, page],
    });
  }
}

export class RenderTimeoutError extends DocumentRefusedError {
  readonly kind = 'render-timeout';
  constructor(attachment: string, limitMs: number) {
    super(`${attachment} took longer than ${formatDuration(limitMs)} to render and was abandoned`, {
      attachment,
      wire: 'policy',
      args: [limitMs],
    });
  }
}

export class RenderOutOfMemoryError extends DocumentRefusedError {
  readonly kind = 'out-of-memory';
  constructor(attachment: string, limitMb: number) {
    super(`${attachment} needs more than ${limitMb} MB of memory to render`, {
      attachment,
      wire: 'too-big',
      args: [limitMb],
    });
  }
}

export class DocumentUnreadableError extends DocumentRefusedError {
  readonly kind = 'unreadable';
  constructor(attachment: string, detail: string, page?: number, cause?: unknown) {
    const what = page === undefined ? attachment : `page ${page} of ${attachment}`;
    super(
      `${what} could not be read: ${detail}`,
      { attachment, page, wire: 'unsupported', args: [detail, page] },
      cause,
    );
  }
}

/** A refusal as plain data, for postMessage from the render worker. */
export interface RenderFailure {
  readonly kind: RenderRefusalKind;
  readonly attachment: string;
  readonly args: readonly RefusalArg[];
}

export function toRenderFailure(error: DocumentRefusedError): RenderFailure {
  return { kind: error.kind, attachment: error.attachment, args: error.args };
}

/** Rebuilds the typed error a worker reported; each class is constructed from its own arguments. */
export function fromRenderFailure(failure: RenderFailure): DocumentRefusedError {
  const { attachment, args } = failure;
  const num = (i: number): number => Number(args[i]);
  const optNum = (i: number): number | undefined => (args[i] === undefined ? undefined : Number(args[i]));
  switch (failure.kind) {
    case 'nothing-faxable':
      return new NothingFaxableError(attachment, args[0] === undefined ? undefined : String(args[0]));
    case 'password-protected':
      return new PasswordProtectedError(attachment, optNum(0));
    case 'too-many-bytes':
      return new DocumentTooLargeError(attachment, num(0), num(1));
    case 'too-many-pages':
      return new TooManyPagesError(attachment, num(0), num(1));
    case 'too-many-pixels':
      return new TooManyPixelsError(attachment, num(0), num(1), num(2), optNum(3));
    case 'render-timeout':
      return new RenderTimeoutError(attachment, num(0));
    case 'out-of-memory':
      return new RenderOutOfMemoryError(attachment, num(0));
    case 'unreadable':
      return new DocumentUnreadableError(attachment, String(args[0]), optNum(1));
  }
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} bytes`;
}
