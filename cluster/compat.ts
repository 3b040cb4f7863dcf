// Snapshot compatibility checks every persisted machine must pass (decision 5): each reachable state
// survives persist → JSON → restore → persist unchanged, and stored snapshots of earlier versions
// (golden fixtures) still restore. Reachable states come from xstate/graph's path search.
import { getShortestPaths } from 'xstate/graph';
import type { AnyStateMachine, EventFromLogic, InputFrom } from 'xstate';
import { restoreSnapshot, type MachineDefinition } from './machine.ts';

export interface ReachableState {
  /** The events that lead here from the initial state. */
  readonly path: readonly string[];
  /** The persisted snapshot as it would be stored. */
  readonly persisted: unknown;
}

/** Every state reachable with `events` (each distinct persisted snapshot once). */
export function reachableStates<TLogic extends AnyStateMachine>(
  definition: MachineDefinition<TLogic>,
  options: { input: InputFrom<TLogic>; events: ReadonlyArray<EventFromLogic<TLogic>> },
): ReachableState[] {
  const paths = getShortestPaths(definition.logic, {
    input: options.input,
    events: options.events,
    serializeState: (snapshot) => JSON.stringify(definition.logic.getPersistedSnapshot(snapshot)),
  });
  return paths.map((path) => {
    const persisted: unknown = definition.logic.getPersistedSnapshot(path.state);
    const events: Array<{ type: string }> = path.steps.map((step) => step.event);
    return { path: events.map((event) => event.type), persisted };
  });
}

/** Persists a restored snapshot again, through JSON as the store does. */
export function roundTrip(definition: MachineDefinition, persisted: unknown): unknown {
  const restored = restoreSnapshot(definition, JSON.parse(JSON.stringify(persisted)));
  return JSON.parse(JSON.stringify(definition.logic.getPersistedSnapshot(restored)));
}
