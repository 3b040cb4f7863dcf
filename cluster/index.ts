// The cluster runtime: hosts persisted XState actors on Redis + NATS. Knows nothing of SIP, SMTP or PDF.
export {
  FaxswitchError,
  TerminalError,
  RetryableError,
  isRetryable,
  type WireCodes,
  type FaxswitchErrorOptions,
  type RetryableErrorOptions,
} from './errors.ts';
