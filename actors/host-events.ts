// The events the cluster runtime sends to every hosted machine. Defined here, beside the machines,
// because actors/ may import nothing else; cluster/ imports these same definitions.

export const HostEvent = {
  /** An effect finished: `{ type, effect, key, output }`. */
  effectDone: 'cluster.effect.done',
  /** An effect failed for good (a TerminalError): `{ type, effect, key, error: { name, message } }`. */
  effectFailed: 'cluster.effect.failed',
  /** The deadline the machine exposes (absolute ms in context) has passed: `{ type, deadline, now }`. */
  timer: 'cluster.timer',
} as const;

export interface EffectDoneEvent {
  readonly type: typeof HostEvent.effectDone;
  readonly effect: string;
  readonly key: string;
  readonly output: unknown;
}

export interface EffectFailedEvent {
  readonly type: typeof HostEvent.effectFailed;
  readonly effect: string;
  readonly key: string;
  readonly error: { readonly name: string; readonly message: string };
}

export interface TimerEvent {
  readonly type: typeof HostEvent.timer;
  readonly deadline: number;
  readonly now: number;
}

export type HostEventObject = EffectDoneEvent | EffectFailedEvent | TimerEvent;
