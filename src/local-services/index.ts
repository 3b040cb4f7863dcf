// Private redis-server / nats-server processes for a single machine and for tests.
export {
  ManagedProcess,
  MissingBinaryError,
  ProcessStartError,
  findExecutable,
  type ManagedProcessOptions,
  type ManagedProcessState,
} from './managed-process.ts';
export {
  createLocalRedis,
  createLocalNats,
  findFreePort,
  type LocalServer,
  type LocalServerOptions,
} from './servers.ts';
