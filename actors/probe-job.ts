// A small job machine for the cluster's chaos harness, tests and benchmark: wait for a durable
// deadline, deliver once through a named effect, finish. It exercises everything a fax job relies
// on (durable timer, write-ahead effect, effect result fed back) without any fax specifics.
import { assign, setup } from 'xstate';
import { HostEvent, type HostEventObject } from './host-events.ts';

export interface ProbeJobInput {
  readonly jobId: string;
  /** Absolute time (ms) before which delivery must not start; 0 delivers at once. */
  readonly notBefore: number;
}

export interface ProbeJobContext {
  readonly jobId: string;
  readonly notBefore: number;
  readonly receipt: unknown;
  readonly failure: string | undefined;
}

export type ProbeJobEvent = HostEventObject | { type: 'cancel' } | { type: 'postpone'; notBefore: number };

export const probeJobMachine = setup({
  types: {
    context: {} as ProbeJobContext,
    events: {} as ProbeJobEvent,
    input: {} as ProbeJobInput,
  },
  actions: {
    // An effect: the host runs its handler after the step is persisted.
    deliver: (_, _params: { jobId: string }) => undefined,
  },
}).createMachine({
  id: 'probe-job',
  context: ({ input }) => ({
    jobId: input.jobId,
    notBefore: input.notBefore,
    receipt: null,
    failure: undefined,
  }),
  initial: 'scheduled',
  states: {
    scheduled: {
      on: {
        [HostEvent.timer]: {
          guard: ({ context, event }) => event.now >= context.notBefore,
          target: 'delivering',
        },
        postpone: { actions: assign({ notBefore: ({ event }) => event.notBefore }) },
        cancel: 'cancelled',
      },
    },
    delivering: {
      entry: { type: 'deliver', params: ({ context }) => ({ jobId: context.jobId }) },
      on: {
        [HostEvent.effectDone]: {
          target: 'delivered',
          actions: assign({ receipt: ({ event }) => event.output }),
        },
        [HostEvent.effectFailed]: {
          target: 'failed',
          actions: assign({ failure: ({ event }) => event.error.message }),
        },
      },
    },
    delivered: { type: 'final' },
    failed: { type: 'final' },
    cancelled: { type: 'final' },
  },
});

/** The deadline the host must fire, read from context (decision 5: no `after` timers). */
export function probeJobDeadline(snapshot: { value: unknown; context: ProbeJobContext }): number | undefined {
  return snapshot.value === 'scheduled' ? snapshot.context.notBefore : undefined;
}
