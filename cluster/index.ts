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
export {
  defineMachine,
  HostEvent,
  type MachineDefinition,
  type EffectDoneEvent,
  type EffectFailedEvent,
  type TimerEvent,
} from './machine.ts';
export {
  ActorHost,
  NotHostedError,
  HostClosedError,
  UnknownMachineError,
  type ActorHostOptions,
  type ActorEvent,
  type EffectContext,
  type EffectHandler,
} from './host.ts';
export {
  ScriptCode,
  LeaseHeldError,
  LeaseLostError,
  StaleEpochError,
  ActorNotFoundError,
  SequenceConflictError,
} from './script-codes.ts';
export { ActorReader, type ActorView, type ActorStep } from './reader.ts';
export {
  createKeys,
  createSubjects,
  isValidActorId,
  type ClusterKeys,
  type ClusterSubjects,
} from './keys.ts';
export { type ClusterLogger, silentLogger } from './logger.ts';
export { rendezvousWinner } from './membership.ts';
export { reachableStates, roundTrip, type ReachableState } from './compat.ts';
export { scriptLibrary, ScriptRunner, type ScriptLibrary, type ScriptArg } from './scripts.ts';
export {
  WorkQueue,
  type WorkQueueOptions,
  type WorkItem,
  type WorkHandler,
  type TrunkLimits,
} from './work-queue.ts';
export { NodeApi, requestNode } from './node-api.ts';
export { forEachLimited, sleep } from './async.ts';
