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
  writeEndpoints,
  readEndpoints,
  removeEndpoints,
  NoRunningNodeError,
  type NodeEndpoints,
} from './endpoints.ts';
export { selfSignedCertificate, type SelfSignedCertificate } from './self-signed-certificate.ts';
export { lockStateDir, StateDirInUseError, type StateDirLock } from './state-dir-lock.ts';
export {
  createLocalRedis,
  createLocalNats,
  findFreePort,
  type LocalServer,
  type LocalServerOptions,
} from './servers.ts';
