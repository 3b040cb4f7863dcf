// The negative result codes every Lua script shares, and the one function that turns them into
// typed errors. A script returns a code, never an error string, so callers branch on types.
import { RetryableError, TerminalError } from './errors.ts';

export const ScriptCode = {
  LEASE_HELD: -1,
  LEASE_LOST: -2,
  STALE_EPOCH: -3,
  NOT_FOUND: -4,
  SEQ_CONFLICT: -5,
} as const;
export type ScriptCode = (typeof ScriptCode)[keyof typeof ScriptCode];

/** Another live owner holds the actor's lease: send it the event instead of claiming. */
export class LeaseHeldError extends RetryableError {}
/** This owner no longer holds the lease (expired or claimed by a peer): stop hosting the actor. */
export class LeaseLostError extends TerminalError {}
/** A newer epoch was issued: this owner is fenced off. */
export class StaleEpochError extends TerminalError {}
export class ActorNotFoundError extends TerminalError {
  constructor(message: string) {
    super(message, { wire: { http: 404 } });
  }
}
/** Another write of the same actor got there first: our in-memory state is stale. */
export class SequenceConflictError extends TerminalError {}

export type FencingError = LeaseLostError | StaleEpochError | SequenceConflictError;

export function isScriptCode(value: unknown): value is ScriptCode {
  return typeof value === 'number' && value < 0 && Object.values<number>(ScriptCode).includes(value);
}

export function errorForCode(code: ScriptCode, script: string, actorId: string): Error {
  const where = `${script} on actor ${actorId}`;
  switch (code) {
    case ScriptCode.LEASE_HELD:
      return new LeaseHeldError(`${where}: the lease is held by another owner`);
    case ScriptCode.LEASE_LOST:
      return new LeaseLostError(`${where}: the lease expired or passed to another owner`);
    case ScriptCode.STALE_EPOCH:
      return new StaleEpochError(`${where}: a newer epoch was issued`);
    case ScriptCode.NOT_FOUND:
      return new ActorNotFoundError(`${where}: no such actor`);
    case ScriptCode.SEQ_CONFLICT:
      return new SequenceConflictError(`${where}: the snapshot sequence moved on`);
  }
}
