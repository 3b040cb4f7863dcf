// Logs and metrics.
export { createLogger, type Logger, type LoggerOptions } from './logger.ts';
export { createMetricsRegistry } from './metrics.ts';
