// Drives a persisted machine the way the cluster host does — pure transitions, one event at a
// time — and records the effects each step asks for, so machine tests read as the sequence of
// events a real call or job would produce, on a simulated clock.
import {
  initialTransition,
  transition,
  type AnyStateMachine,
  type ContextFrom,
  type EventFromLogic,
  type InputFrom,
  type SnapshotFrom,
} from 'xstate';
import { HostEvent } from '../../actors/index.ts';

export interface RecordedEffect {
  readonly type: string;
  readonly params: Record<string, unknown>;
}

export class MachineDriver<TLogic extends AnyStateMachine> {
  readonly #logic: TLogic;
  readonly #effectNames: readonly string[];
  readonly #deadline: ((snapshot: SnapshotFrom<TLogic>) => number | undefined) | undefined;
  snapshot: SnapshotFrom<TLogic>;
  readonly effects: RecordedEffect[] = [];

  constructor(
    logic: TLogic,
    input: InputFrom<TLogic>,
    options: {
      effects: readonly string[];
      deadline?: (snapshot: SnapshotFrom<TLogic>) => number | undefined;
    },
  ) {
    this.#logic = logic;
    this.#effectNames = options.effects;
    this.#deadline = options.deadline;
    const [snapshot, actions] = initialTransition(logic, input);
    this.snapshot = snapshot;
    this.#record(actions);
  }

  #record(actions: ReadonlyArray<{ type: string; params?: unknown }>): void {
    for (const action of actions) {
      if (this.#effectNames.includes(action.type)) {
        this.effects.push({ type: action.type, params: (action.params ?? {}) as Record<string, unknown> });
      }
    }
  }

  send(event: EventFromLogic<TLogic>): this {
    const [snapshot, actions] = transition(this.#logic, this.snapshot, event);
    this.snapshot = snapshot;
    this.#record(actions);
    return this;
  }

  get context(): ContextFrom<TLogic> {
    return (this.snapshot as unknown as { context: ContextFrom<TLogic> }).context;
  }

  get deadline(): number | undefined {
    return this.#deadline?.(this.snapshot);
  }

  /** The runtime's durable timer firing at `now`. */
  tick(now: number): this {
    return this.send({
      type: HostEvent.timer,
      deadline: this.deadline ?? now,
      now,
    } as EventFromLogic<TLogic>);
  }

  /** The effect `name` completed with `output`. */
  done(name: string, output: unknown = null): this {
    return this.send({
      type: HostEvent.effectDone,
      effect: name,
      key: `${name}:${this.effects.length}`,
      output,
    } as EventFromLogic<TLogic>);
  }

  failed(name: string, message: string): this {
    return this.send({
      type: HostEvent.effectFailed,
      effect: name,
      key: `${name}:${this.effects.length}`,
      error: { name: 'TerminalError', message },
    } as EventFromLogic<TLogic>);
  }

  last(name: string): Record<string, unknown> | undefined {
    return this.effects.filter((effect) => effect.type === name).at(-1)?.params;
  }

  count(name: string): number {
    return this.effects.filter((effect) => effect.type === name).length;
  }
}
