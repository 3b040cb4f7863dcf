// A serial-letter campaign: take in the recipients list (validated, de-duplicated, opt-outs
// removed), then hand recipients to their own actors a window at a time — so a 100,000-row list is
// never in flight at once and pausing simply stops the hand-out — and, when every dispatched
// recipient has an outcome, send the owner one report. Cancelling stops the hand-out; rows not yet
// handed out are reported as cancelled.
import { assign, setup } from 'xstate';
import { HostEvent, type HostEventObject } from './host-events.ts';

export interface CampaignInput {
  readonly campaignId: string;
  readonly createdAt: number;
}

export type CampaignControl = 'running' | 'paused' | 'cancelled';

/** What taking in the recipients list found. */
export interface IngestSummary {
  readonly at: number;
  readonly rows: number;
  /** Rows that become recipients. */
  readonly accepted: number;
  readonly invalid: number;
  readonly duplicates: number;
  readonly optedOut: number;
}

/** What one hand-out round did. */
export interface DispatchResult {
  readonly at: number;
  /** Recipients handed out so far (rows 0..cursor-1 of the accepted list). */
  readonly cursor: number;
  /** Recipients with a recorded outcome. */
  readonly finished: number;
}

export interface CampaignContext {
  readonly campaignId: string;
  readonly control: CampaignControl;
  readonly ingest: IngestSummary | undefined;
  readonly cursor: number;
  readonly finished: number;
  readonly nextTickAt: number;
  readonly failure: string | undefined;
}

export type CampaignEvent = HostEventObject | { type: 'pause' } | { type: 'resume' } | { type: 'cancel' };

/** Pause between hand-out rounds: short while there is room in the window, longer while it is full. */
const BUSY_TICK_MS = 250;
const IDLE_TICK_MS = 1_000;

function effectOutput<T>(event: CampaignEvent, effect: string): T | undefined {
  return event.type === HostEvent.effectDone && event.effect === effect ? (event.output as T) : undefined;
}

function allFinished(context: CampaignContext): boolean {
  const accepted = context.ingest?.accepted ?? 0;
  const handedOut = context.control === 'cancelled' ? context.cursor : accepted;
  return context.cursor >= handedOut && context.finished >= handedOut;
}

export const campaignMachine = setup({
  types: {
    context: {} as CampaignContext,
    events: {} as CampaignEvent,
    input: {} as CampaignInput,
  },
  actions: {
    // Effects, run by the host after the step is persisted.
    ingestRecipients: (_, _params: { campaignId: string }) => undefined,
    dispatchRecipients: (_, _params: { campaignId: string; cursor: number; control: CampaignControl }) =>
      undefined,
    sendReport: (_, _params: { campaignId: string; control: CampaignControl; cursor: number }) => undefined,
  },
  guards: {
    due: ({ context, event }) => event.type === HostEvent.timer && event.now >= context.nextTickAt,
  },
}).createMachine({
  id: 'campaign',
  context: ({ input }) => ({
    campaignId: input.campaignId,
    control: 'running',
    ingest: undefined,
    cursor: 0,
    finished: 0,
    nextTickAt: input.createdAt,
    failure: undefined,
  }),
  initial: 'ingesting',
  on: {
    pause: {
      actions: assign({
        control: ({ context }) => (context.control === 'running' ? 'paused' : context.control),
      }),
    },
    resume: {
      actions: assign({
        control: ({ context }) => (context.control === 'paused' ? 'running' : context.control),
      }),
    },
    cancel: { actions: assign({ control: 'cancelled' }) },
  },
  states: {
    ingesting: {
      entry: { type: 'ingestRecipients', params: ({ context }) => ({ campaignId: context.campaignId }) },
      on: {
        [HostEvent.effectDone]: {
          guard: ({ event }) => event.effect === 'ingestRecipients',
          target: 'running',
          actions: assign(({ event }) => {
            const ingest = effectOutput<IngestSummary>(event, 'ingestRecipients')!;
            return { ingest, nextTickAt: ingest.at };
          }),
        },
        [HostEvent.effectFailed]: {
          guard: ({ event }) => event.effect === 'ingestRecipients',
          target: 'reporting',
          actions: assign({ failure: ({ event }) => event.error.message }),
        },
      },
    },
    running: {
      initial: 'waiting',
      states: {
        waiting: {
          always: { guard: ({ context }) => allFinished(context), target: '#campaign.reporting' },
          on: { [HostEvent.timer]: { guard: 'due', target: 'dispatching' } },
        },
        dispatching: {
          entry: {
            type: 'dispatchRecipients',
            params: ({ context }) => ({
              campaignId: context.campaignId,
              cursor: context.cursor,
              control: context.control,
            }),
          },
          on: {
            [HostEvent.effectDone]: {
              guard: ({ event }) => event.effect === 'dispatchRecipients',
              target: 'waiting',
              actions: assign(({ context, event }) => {
                const result = effectOutput<DispatchResult>(event, 'dispatchRecipients')!;
                const windowFull = result.cursor === context.cursor;
                return {
                  cursor: Math.max(context.cursor, result.cursor),
                  finished: Math.max(context.finished, result.finished),
                  nextTickAt: result.at + (windowFull ? IDLE_TICK_MS : BUSY_TICK_MS),
                };
              }),
            },
          },
        },
      },
    },
    reporting: {
      entry: {
        type: 'sendReport',
        params: ({ context }) => ({
          campaignId: context.campaignId,
          control: context.control,
          cursor: context.cursor,
        }),
      },
      on: {
        [HostEvent.effectDone]: { guard: ({ event }) => event.effect === 'sendReport', target: 'done' },
      },
    },
    done: { type: 'final' },
  },
});

/** The deadline the runtime fires between hand-out rounds. */
export function campaignDeadline(snapshot: { value: unknown; context: CampaignContext }): number | undefined {
  const value = snapshot.value as { running?: string } | string;
  return typeof value === 'object' && value.running === 'waiting' ? snapshot.context.nextTickAt : undefined;
}

/** The state a person sees. */
export function campaignStatus(snapshot: { value: unknown; context: CampaignContext }): string {
  const value = snapshot.value;
  if (value === 'ingesting' || value === 'reporting') return value;
  if (value === 'done') return snapshot.context.control === 'cancelled' ? 'cancelled' : 'finished';
  return snapshot.context.control === 'running' ? 'sending' : snapshot.context.control;
}
