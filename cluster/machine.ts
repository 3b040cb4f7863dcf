// How a machine is handed to the runtime: its XState logic, a name and version stored with every
// snapshot, the action names that are effects (run by the host after the step is persisted), and
// where its next durable deadline lives in context. Rules (ARCHITECTURE decision 5): only string-keyed
// child actors, no `after` timers — deadlines are absolute times in context, fired by the host.
import { createActor, initialTransition, transition, type AnyStateMachine, type SnapshotFrom } from 'xstate';
import type { ActorStatus, EffectIntent } from './store.ts';

export { HostEvent, type EffectDoneEvent, type EffectFailedEvent, type TimerEvent } from '../actors/index.ts';

export interface MachineDefinition<TLogic extends AnyStateMachine = AnyStateMachine> {
  readonly name: string;
  /** Bumped whenever stored snapshots of the previous version would not restore as they are. */
  readonly version: number;
  readonly logic: TLogic;
  /** Action names the host treats as effects; every other action must be pure (assign, raise…). */
  readonly effects: readonly string[];
  /** The next absolute deadline (ms since the epoch) the machine waits for, if any. */
  readonly nextDeadline?: (snapshot: SnapshotFrom<TLogic>) => number | undefined;
}

export function defineMachine<TLogic extends AnyStateMachine>(
  definition: MachineDefinition<TLogic>,
): MachineDefinition<TLogic> {
  if (!/^[a-z][a-zA-Z0-9-]{0,63}$/.test(definition.name))
    throw new Error(`invalid machine name '${definition.name}'`);
  if (!Number.isInteger(definition.version) || definition.version < 1) {
    throw new Error(`machine ${definition.name}: version must be a positive integer`);
  }
  return definition;
}

/** The result of one macrostep, computed purely: what to persist and which effects to run after. */
export interface StepResult {
  readonly snapshot: AnyMachineSnapshot;
  readonly persisted: unknown;
  readonly effects: readonly EffectIntent[];
  readonly status: ActorStatus;
}

type AnyMachineSnapshot = SnapshotFrom<AnyStateMachine>;

function effectsOf(
  definition: MachineDefinition,
  actions: ReadonlyArray<{ type: string; params?: unknown }>,
  actorId: string,
  seq: number,
): EffectIntent[] {
  return actions
    .filter((action) => definition.effects.includes(action.type))
    .map((action, n) => ({
      key: `${actorId}:${seq}:${n}`,
      name: action.type,
      params: action.params ?? null,
    }));
}

function statusOf(snapshot: AnyMachineSnapshot): ActorStatus {
  return snapshot.status === 'active' ? 'active' : 'done';
}

/** The first step of a new actor (its seq is 1). */
export function firstStep(definition: MachineDefinition, actorId: string, input: unknown): StepResult {
  const [snapshot, actions] = initialTransition(definition.logic, input);
  return finish(definition, snapshot, actions, actorId, 1);
}

/**
 * A step function for one hosted actor. It does what xstate's pure `transition()` does — run the
 * machine against an inert actor scope whose action executor only collects — but builds that scope
 * once per actor instead of once per event: building it creates an actor and computes an initial
 * snapshot, about 50 µs, five times the step itself. The scope lives as long as the hosted actor,
 * as a running actor's would. `test/unit/cluster/machine.test.ts` checks it against `transition()`.
 */
export type Stepper = (snapshot: AnyMachineSnapshot, event: { type: string }, seq: number) => StepResult;

export function createStepper(definition: MachineDefinition, actorId: string): Stepper {
  const self = createActor(definition.logic);
  let collected: Array<{ type: string; params?: unknown }> = [];
  const scope = {
    self,
    id: actorId,
    sessionId: '',
    logger: () => undefined,
    defer: () => undefined,
    emit: () => undefined,
    system: self.system,
    stopChild: () => undefined,
    actionExecutor: (action: { type: string; params?: unknown }) => {
      collected.push(action);
    },
  } as unknown as Parameters<AnyStateMachine['transition']>[2];
  return (snapshot, event, seq) => {
    collected = [];
    const next = definition.logic.transition(snapshot, event, scope);
    return finish(definition, next, collected, actorId, seq);
  };
}

/** Applies one event with xstate's pure `transition()`; `seq` is the sequence number the result will carry. */
export function nextStep(
  definition: MachineDefinition,
  snapshot: AnyMachineSnapshot,
  event: { type: string },
  actorId: string,
  seq: number,
): StepResult {
  const [next, actions] = transition(definition.logic, snapshot, event);
  return finish(definition, next, actions, actorId, seq);
}

function finish(
  definition: MachineDefinition,
  snapshot: AnyMachineSnapshot,
  actions: ReadonlyArray<{ type: string; params?: unknown }>,
  actorId: string,
  seq: number,
): StepResult {
  if (snapshot.status === 'error') {
    throw new Error(`machine ${definition.name} actor ${actorId} failed: ${String(snapshot.error)}`);
  }
  return {
    snapshot,
    persisted: definition.logic.getPersistedSnapshot(snapshot),
    effects: effectsOf(definition, actions, actorId, seq),
    status: statusOf(snapshot),
  };
}

/** Turns a stored JSON snapshot back into a machine snapshot that `transition()` accepts. */
export function restoreSnapshot(definition: MachineDefinition, persisted: unknown): AnyMachineSnapshot {
  const restored = definition.logic.resolveState(persisted as Parameters<AnyStateMachine['resolveState']>[0]);
  if (restored.status === 'error')
    throw new Error(`machine ${definition.name}: stored snapshot does not restore`);
  return restored;
}
