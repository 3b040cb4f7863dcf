// The logging the runtime needs, shaped like pino's so src/ passes its logger straight in; cluster/
// cannot import src/observability.
export interface ClusterLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const silentLogger: ClusterLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
