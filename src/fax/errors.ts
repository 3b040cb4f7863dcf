// SpanDSP's T.30 completion codes (T30_ERR_* in t30.h, 0.0.6 numbering) as typed errors. Each code
// is either retryable (the line, the timing or the far machine's state may be different next time)
// or terminal (the far end cannot take this document, or our file is unusable), so the job layer
// decides from one bit, and the readable text comes from SpanDSP itself.
import { RetryableError, TerminalError } from '../../cluster/index.ts';

interface CodeInfo {
  readonly name: string;
  readonly retryable: boolean;
}

const R = true;
const T = false;
/** Index = T30_ERR_* value. Order is the enum order in /usr/include/spandsp/t30.h (0.0.6). */
const CODES: readonly CodeInfo[] = (
  [
    ['OK', T],
    ['CEDTONE', R],
    ['T0_EXPIRED', R],
    ['T1_EXPIRED', R],
    ['T3_EXPIRED', R],
    ['HDLC_CARRIER', R],
    ['CANNOT_TRAIN', R],
    ['OPER_INT_FAIL', R],
    ['INCOMPATIBLE', T],
    ['RX_INCAPABLE', T],
    ['TX_INCAPABLE', T],
    ['NORESSUPPORT', T],
    ['NOSIZESUPPORT', T],
    ['UNEXPECTED', R],
    ['TX_BADDCS', R],
    ['TX_BADPG', R],
    ['TX_ECMPHD', R],
    ['TX_GOTDCN', R],
    ['TX_INVALRSP', R],
    ['TX_NODIS', R],
    ['TX_PHBDEAD', R],
    ['TX_PHDDEAD', R],
    ['TX_T5EXP', R],
    ['RX_ECMPHD', R],
    ['RX_GOTDCS', R],
    ['RX_INVALCMD', R],
    ['RX_NOCARRIER', R],
    ['RX_NOEOL', R],
    ['RX_NOFAX', R],
    ['RX_T2EXPDCN', R],
    ['RX_T2EXPD', R],
    ['RX_T2EXPFAX', R],
    ['RX_T2EXPMPS', R],
    ['RX_T2EXPRR', R],
    ['RX_T2EXP', R],
    ['RX_DCNWHY', R],
    ['RX_DCNDATA', R],
    ['RX_DCNFAX', R],
    ['RX_DCNPHD', R],
    ['RX_DCNRRD', R],
    ['RX_DCNNORTN', R],
    ['FILEERROR', T],
    ['NOPAGE', T],
    ['BADTIFF', T],
    ['BADPAGE', T],
    ['BADTAG', T],
    ['BADTIFFHDR', T],
    ['NOMEM', R],
    ['RETRYDCN', R],
    ['CALLDROPPED', R],
    ['NOPOLL', T],
    ['IDENT_UNACCEPTABLE', T],
    ['SUB_UNACCEPTABLE', T],
    ['SEP_UNACCEPTABLE', T],
    ['PSA_UNACCEPTABLE', T],
    ['SID_UNACCEPTABLE', T],
    ['PWD_UNACCEPTABLE', T],
    ['TSA_UNACCEPTABLE', T],
    ['IRA_UNACCEPTABLE', T],
    ['CIA_UNACCEPTABLE', T],
    ['ISP_UNACCEPTABLE', T],
    ['CSA_UNACCEPTABLE', T],
  ] as const
).map(([name, retryable]) => ({ name, retryable }));

export const T30_ERR_OK = 0;
export const T30_ERR_CALLDROPPED = CODES.findIndex((c) => c.name === 'CALLDROPPED');

/** What every fax failure carries beside its message. */
export interface FaxFailureDetails {
  /** The T30_ERR_* value. */
  readonly code: number;
  /** `T30_ERR_<codeName>`. */
  readonly codeName: string;
  /** Pages the far end confirmed before the failure (sending) or we confirmed (receiving). */
  readonly pagesConfirmed: number;
}

export class FaxRetryableError extends RetryableError implements FaxFailureDetails {
  readonly code: number;
  readonly codeName: string;
  readonly pagesConfirmed: number;
  constructor(message: string, details: FaxFailureDetails) {
    super(message);
    this.code = details.code;
    this.codeName = details.codeName;
    this.pagesConfirmed = details.pagesConfirmed;
  }
}

export class FaxTerminalError extends TerminalError implements FaxFailureDetails {
  readonly code: number;
  readonly codeName: string;
  readonly pagesConfirmed: number;
  constructor(message: string, details: FaxFailureDetails) {
    super(message);
    this.code = details.code;
    this.codeName = details.codeName;
    this.pagesConfirmed = details.pagesConfirmed;
  }
}

export type FaxError = FaxRetryableError | FaxTerminalError;

/** Bad options or a misused session: a programming or configuration error, never retried. */
export class FaxOptionsError extends TerminalError {}

/** A received fax's TIFF file could not be written (its pages did reach the page hook). */
export class FaxFileError extends RetryableError {}

export function t30CodeName(code: number): string {
  return CODES[code]?.name ?? `UNKNOWN_${code}`;
}

/** The typed error for a non-OK completion code; unknown codes are retryable (a newer SpanDSP). */
export function faxErrorFromCompletion(code: number, text: string, pagesConfirmed: number): FaxError {
  const info = CODES[code];
  const details = { code, codeName: info?.name ?? `UNKNOWN_${code}`, pagesConfirmed };
  const message = `fax failed: ${text} (T30_ERR_${details.codeName}) after ${pagesConfirmed} confirmed page(s)`;
  return info === undefined || info.retryable
    ? new FaxRetryableError(message, details)
    : new FaxTerminalError(message, details);
}

/** Number of codes the table knows (T30_ERR_OK .. T30_ERR_CSA_UNACCEPTABLE). */
export const T30_CODE_COUNT = CODES.length;
