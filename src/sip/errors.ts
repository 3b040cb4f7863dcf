// How a SIP final response becomes a typed outcome for the fax layer: retryable (busy, no answer,
// congestion with Retry-After) or terminal (bad number, refused, T.38 refused). Each error carries
// the SIP status in `wire.sip`, so nothing downstream matches on reason text.
import { RetryableError, TerminalError, type FaxswitchError } from '../../cluster/index.ts';

interface SipFailure {
  readonly status: number;
  readonly reason: string;
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

function describe(kind: string, failure: SipFailure): string {
  return `${kind}: SIP ${failure.status} ${failure.reason}`.trim();
}

/** 486/600: the line is busy. */
export class CallBusyError extends RetryableError {}
/** 408/480/487 after our timer: nobody answered. */
export class NoAnswerError extends RetryableError {}
/** 5xx (503 with Retry-After), or every trunk full: try later. */
export class CongestionError extends RetryableError {}
/** 404/484/604: the number does not exist. */
export class BadNumberError extends TerminalError {}
/** 403/603: the callee or carrier refuses us. */
export class CallRefusedError extends TerminalError {}
/** 488/606: the media we offered (T.38 or the codecs) is not acceptable. */
export class MediaRefusedError extends TerminalError {}
/** Any other 4xx/6xx. */
export class CallRejectedError extends TerminalError {}

/**
 * Whether a failed call says something about the carrier rather than the callee: a 5xx, no
 * response at all (408 from our set-up timer), or no free channel. Another trunk may succeed;
 * the callee's answers (busy, bad number, …) would be the same on any trunk.
 */
export function isTrunkFailure(error: unknown): boolean {
  return error instanceof CongestionError || (error instanceof NoAnswerError && error.wire.sip === 408);
}

/** Parses Retry-After (seconds, optional comment/params) into milliseconds. */
export function retryAfterMsFrom(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*(\d{1,9})/.exec(header);
  return match === null ? undefined : Number(match[1]) * 1000;
}

export function errorForStatus(failure: SipFailure): FaxswitchError {
  const { status } = failure;
  const wire = { sip: status };
  const options = { wire, cause: failure.cause };
  switch (status) {
    case 486:
    case 600:
      return new CallBusyError(describe('busy', failure), { ...options, retryAfterMs: failure.retryAfterMs });
    case 408:
    case 480:
    case 487:
      return new NoAnswerError(describe('no answer', failure), {
        ...options,
        retryAfterMs: failure.retryAfterMs,
      });
    case 404:
    case 484:
    case 604:
      return new BadNumberError(describe('bad number', failure), options);
    case 403:
    case 603:
      return new CallRefusedError(describe('refused', failure), options);
    case 488:
    case 606:
      return new MediaRefusedError(describe('media refused', failure), options);
  }
  if (status >= 500 && status < 600) {
    return new CongestionError(describe('carrier unavailable', failure), {
      ...options,
      retryAfterMs: failure.retryAfterMs,
    });
  }
  return new CallRejectedError(describe('rejected', failure), options);
}
