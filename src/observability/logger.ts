// Structured JSON logs (pino). Secrets never reach a log line: known secret-bearing fields are
// censored here, and Secret values print as [redacted] wherever they end up.
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACTED_PATHS = [
  'password',
  'secret',
  'authorization',
  'token',
  '*.password',
  '*.secret',
  '*.authorization',
  '*.token',
  'headers.authorization',
  'headers["proxy-authorization"]',
];

export interface LoggerOptions {
  readonly level: string;
  readonly nodeName: string;
  /** Where lines go; standard output unless a test collects them. */
  readonly destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { node: options.nodeName },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
