// Configuration: the only reader of process.env.
export {
  loadConfig,
  ENVIRONMENT_VARIABLES,
  LOG_LEVELS,
  type Config,
  type ClusterTimings,
  type SipSettings,
  type MediaSettings,
  type ArchiveSettings,
  type MailSettings,
  type Email2FaxSettings,
  type ConfiguredTrunk,
  type LogLevel,
} from './config.ts';
export {
  EnvReader,
  ConfigError,
  Secret,
  parseDurationMs,
  redactUrl,
  type Environment,
  type HostPort,
} from './env-reader.ts';
