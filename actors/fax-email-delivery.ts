// Delivering one received fax by email, exactly once: build the document from the archived pages,
// send it with a Message-ID derived from the fax id, and retry temporary refusals on a durable
// schedule (1 min doubling to 1 h, for up to 4 days, as mail servers do) instead of in a tight loop.
// A permanent refusal is recorded with the server's words; then retention applies.
import { assign, setup } from 'xstate';
import { HostEvent, type HostEventObject } from './host-events.ts';

export interface EmailRetryPolicy {
  readonly firstRetryMs: number;
  readonly maxRetryMs: number;
  readonly giveUpAfterMs: number;
}

export const DEFAULT_EMAIL_RETRY_POLICY: EmailRetryPolicy = {
  firstRetryMs: 60_000,
  maxRetryMs: 3_600_000,
  giveUpAfterMs: 4 * 24 * 3_600_000,
};

export interface FaxEmailDeliveryInput {
  readonly faxId: string;
  readonly handedOverAt: number;
  readonly deleteAfterDelivery: boolean;
  readonly policy?: EmailRetryPolicy;
}

/** How one send attempt ended, as the send effect reports it. */
export type SendOutcome = { readonly at: number } & (
  | { readonly kind: 'accepted'; readonly messageId: string; readonly response: string }
  | { readonly kind: 'temporary'; readonly reply: string; readonly retryAfterMs?: number }
  | { readonly kind: 'permanent'; readonly reply: string }
);

export interface FaxEmailDeliveryContext {
  readonly faxId: string;
  readonly policy: EmailRetryPolicy;
  readonly giveUpAt: number;
  readonly deleteAfterDelivery: boolean;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly lastReply: string | undefined;
  readonly messageId: string | undefined;
  readonly result: 'delivered' | 'failed' | undefined;
}

export type FaxEmailDeliveryEvent = HostEventObject;

function retryDelay(policy: EmailRetryPolicy, attempts: number): number {
  return Math.min(policy.maxRetryMs, policy.firstRetryMs * 2 ** Math.max(0, attempts - 1));
}

function isSend(
  event: FaxEmailDeliveryEvent,
): event is Extract<HostEventObject, { type: typeof HostEvent.effectDone }> {
  return event.type === HostEvent.effectDone && event.effect === 'sendFaxEmail';
}

function sendOutcome(event: FaxEmailDeliveryEvent): SendOutcome | undefined {
  return isSend(event) ? (event.output as SendOutcome) : undefined;
}

export const faxEmailDeliveryMachine = setup({
  types: {
    context: {} as FaxEmailDeliveryContext,
    events: {} as FaxEmailDeliveryEvent,
    input: {} as FaxEmailDeliveryInput,
  },
  actions: {
    // Effects, run by the host after the step is persisted.
    buildDocuments: (_, _params: { faxId: string }) => undefined,
    sendFaxEmail: (_, _params: { faxId: string; attempt: number }) => undefined,
    deleteContent: (_, _params: { faxId: string }) => undefined,
    recordResult: (
      _,
      _params: { faxId: string; result: 'delivered' | 'failed'; reply: string | undefined },
    ) => undefined,
  },
  guards: {
    due: ({ context, event }) => event.type === HostEvent.timer && event.now >= context.nextAttemptAt,
  },
}).createMachine({
  id: 'fax-email-delivery',
  context: ({ input }) => {
    const policy = input.policy ?? DEFAULT_EMAIL_RETRY_POLICY;
    return {
      faxId: input.faxId,
      policy,
      giveUpAt: input.handedOverAt + policy.giveUpAfterMs,
      deleteAfterDelivery: input.deleteAfterDelivery,
      attempts: 0,
      nextAttemptAt: input.handedOverAt,
      lastReply: undefined,
      messageId: undefined,
      result: undefined,
    };
  },
  initial: 'building',
  states: {
    building: {
      entry: { type: 'buildDocuments', params: ({ context }) => ({ faxId: context.faxId }) },
      on: {
        [HostEvent.effectDone]: {
          guard: ({ event }) => event.effect === 'buildDocuments',
          target: 'sending',
        },
        [HostEvent.effectFailed]: {
          guard: ({ event }) => event.effect === 'buildDocuments',
          target: 'recording',
          actions: assign({ result: 'failed', lastReply: ({ event }) => event.error.message }),
        },
      },
    },
    sending: {
      entry: [
        assign({ attempts: ({ context }) => context.attempts + 1 }),
        {
          type: 'sendFaxEmail',
          params: ({ context }) => ({ faxId: context.faxId, attempt: context.attempts }),
        },
      ],
      on: {
        [HostEvent.effectDone]: [
          {
            guard: ({ event }) => sendOutcome(event)?.kind === 'accepted',
            target: 'recording',
            actions: assign(({ event }) => {
              const outcome = sendOutcome(event) as Extract<SendOutcome, { kind: 'accepted' }>;
              return {
                result: 'delivered' as const,
                messageId: outcome.messageId,
                lastReply: outcome.response,
              };
            }),
          },
          {
            guard: ({ context, event }) => {
              const outcome = sendOutcome(event);
              if (outcome?.kind !== 'temporary') return false;
              return (
                outcome.at + (outcome.retryAfterMs ?? retryDelay(context.policy, context.attempts)) <
                context.giveUpAt
              );
            },
            target: 'waiting',
            actions: assign(({ context, event }) => {
              const outcome = sendOutcome(event) as Extract<SendOutcome, { kind: 'temporary' }>;
              return {
                lastReply: outcome.reply,
                nextAttemptAt:
                  outcome.at + (outcome.retryAfterMs ?? retryDelay(context.policy, context.attempts)),
              };
            }),
          },
          {
            guard: ({ event }) => isSend(event),
            target: 'recording',
            actions: assign(({ event }) => {
              const outcome = sendOutcome(event) as Exclude<SendOutcome, { kind: 'accepted' }>;
              const reply =
                outcome.kind === 'temporary' ? `${outcome.reply} (gave up after 4 days)` : outcome.reply;
              return { result: 'failed' as const, lastReply: reply };
            }),
          },
        ],
        [HostEvent.effectFailed]: {
          guard: ({ event }) => event.effect === 'sendFaxEmail',
          target: 'recording',
          actions: assign({ result: 'failed', lastReply: ({ event }) => event.error.message }),
        },
      },
    },
    waiting: { on: { [HostEvent.timer]: { guard: 'due', target: 'sending' } } },
    recording: {
      entry: {
        type: 'recordResult',
        params: ({ context }) => ({
          faxId: context.faxId,
          result: context.result ?? 'failed',
          reply: context.lastReply,
        }),
      },
      on: {
        [HostEvent.effectDone]: [
          {
            guard: ({ context, event }) =>
              event.effect === 'recordResult' &&
              context.result === 'delivered' &&
              context.deleteAfterDelivery,
            target: 'purging',
          },
          { guard: ({ event }) => event.effect === 'recordResult', target: 'done' },
        ],
      },
    },
    purging: {
      entry: { type: 'deleteContent', params: ({ context }) => ({ faxId: context.faxId }) },
      on: {
        [HostEvent.effectDone]: { guard: ({ event }) => event.effect === 'deleteContent', target: 'done' },
      },
    },
    done: { type: 'final' },
  },
});

/** The deadline the runtime must fire while a temporary refusal waits out its backoff. */
export function faxEmailDeliveryDeadline(snapshot: {
  value: unknown;
  context: FaxEmailDeliveryContext;
}): number | undefined {
  return snapshot.value === 'waiting' ? snapshot.context.nextAttemptAt : undefined;
}
