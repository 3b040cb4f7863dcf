// The error taxonomy every layer shares. The runtime decides what to do with a failed effect
// from one bit — retry or not — so that split lives here, beside the runtime that acts on it;
// src/ refines these classes for its protocols. An error that a peer sees carries the code the
// peer expects (SIP status, SMTP reply, HTTP status), so adapters never translate by message text.

/** The codes a failure maps to on each wire protocol, where it reaches one. */
export interface WireCodes {
  /** SIP final response status, e.g. 404, 486, 503. */
  readonly sip?: number;
  /** SMTP reply, e.g. `{ code: 550, enhanced: '5.7.1' }`. */
  readonly smtp?: { readonly code: number; readonly enhanced?: string };
  /** HTTP status, e.g. 400, 409, 503. */
  readonly http?: number;
}

export interface FaxswitchErrorOptions {
  readonly cause?: unknown;
  readonly wire?: WireCodes;
}

export abstract class FaxswitchError extends Error {
  /** Whether doing the same thing again later may succeed. */
  abstract readonly retryable: boolean;
  readonly wire: WireCodes;

  constructor(message: string, options: FaxswitchErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.wire = options.wire ?? {};
  }
}

/** Doing it again will fail the same way: bad input, refused by policy, a permanent peer answer. */
export class TerminalError extends FaxswitchError {
  readonly retryable = false;
}

export interface RetryableErrorOptions extends FaxswitchErrorOptions {
  /** The earliest useful retry, when the peer said (SIP/HTTP Retry-After, SMTP 4xx with a hint). */
  readonly retryAfterMs?: number;
}

/** A later attempt may succeed: a dependency is away, a peer is busy, a timeout. */
export class RetryableError extends FaxswitchError {
  readonly retryable = true;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: RetryableErrorOptions = {}) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** True for errors a caller should retry; unknown errors (bugs, crashes) count as retryable
 * because the effect contract makes every handler safe to run again. */
export function isRetryable(error: unknown): boolean {
  return error instanceof FaxswitchError ? error.retryable : true;
}
