// One recipient of a serial-letter campaign: deliver the personalised letter by email when the row
// has an address, otherwise by fax; wait out temporary email refusals on a durable schedule; when a
// channel fails for good and the campaign allows it, try the other channel once; record the outcome.
import { assign, setup } from 'xstate';
import { HostEvent, type HostEventObject } from './host-events.ts';

export type LetterChannel = 'email' | 'fax';

export interface LetterRetryPolicy {
  readonly firstRetryMs: number;
  readonly maxRetryMs: number;
  /** Temporary email refusals are retried until this long after the first attempt. */
  readonly giveUpAfterMs: number;
}

export const DEFAULT_LETTER_RETRY_POLICY: LetterRetryPolicy = {
  firstRetryMs: 60_000,
  maxRetryMs: 3_600_000,
  giveUpAfterMs: 24 * 3_600_000,
};

export interface CampaignRecipientInput {
  readonly recipientId: string;
  readonly campaignId: string;
  /** Line of the row in the recipients CSV. */
  readonly line: number;
  /** Position among the campaign's accepted recipients (where its row is stored). */
  readonly position: number;
  readonly email: string | undefined;
  /** E.164. */
  readonly fax: string | undefined;
  /** Try the other channel when the first fails for good. */
  readonly fallback: boolean;
  readonly createdAt: number;
  readonly policy?: LetterRetryPolicy;
}

/** How one delivery attempt ended, as the deliverLetter effect reports it. */
export type LetterOutcome = { readonly at: number } & (
  | { readonly kind: 'delivered'; readonly detail: string }
  | { readonly kind: 'temporary'; readonly reason: string; readonly retryAfterMs?: number }
  | { readonly kind: 'failed'; readonly reason: string }
);

export interface CampaignRecipientContext {
  readonly recipientId: string;
  readonly campaignId: string;
  readonly line: number;
  readonly position: number;
  readonly email: string | undefined;
  readonly fax: string | undefined;
  readonly fallback: boolean;
  readonly policy: LetterRetryPolicy;
  readonly channel: LetterChannel;
  readonly tried: readonly LetterChannel[];
  readonly attempts: number;
  readonly firstAttemptAt: number;
  readonly nextAttemptAt: number;
  readonly result: 'delivered' | 'failed' | undefined;
  readonly detail: string | undefined;
}

export type CampaignRecipientEvent = HostEventObject;

export interface RecordLetterParams {
  readonly recipientId: string;
  readonly campaignId: string;
  readonly line: number;
  readonly position: number;
  readonly result: 'delivered' | 'failed';
  readonly channel: LetterChannel;
  readonly detail: string;
}

function outcomeOf(event: CampaignRecipientEvent): LetterOutcome | undefined {
  return event.type === HostEvent.effectDone && event.effect === 'deliverLetter'
    ? (event.output as LetterOutcome)
    : undefined;
}

function retryDelay(context: CampaignRecipientContext, outcome: LetterOutcome): number {
  if (outcome.kind === 'temporary' && outcome.retryAfterMs !== undefined) return outcome.retryAfterMs;
  return Math.min(
    context.policy.maxRetryMs,
    context.policy.firstRetryMs * 2 ** Math.max(0, context.attempts - 1),
  );
}

/** The channel to fall back to, if the campaign allows it and the row has one not yet tried. */
function fallbackChannel(context: CampaignRecipientContext): LetterChannel | undefined {
  if (!context.fallback) return undefined;
  const other: LetterChannel = context.channel === 'email' ? 'fax' : 'email';
  const reachable = other === 'email' ? context.email !== undefined : context.fax !== undefined;
  return reachable && !context.tried.includes(other) ? other : undefined;
}

function failureReason(event: CampaignRecipientEvent): string {
  if (event.type === HostEvent.effectFailed) return event.error.message;
  const outcome = outcomeOf(event);
  return outcome && outcome.kind !== 'delivered' ? outcome.reason : 'delivery failed';
}

function isDeliveryResult(event: CampaignRecipientEvent): boolean {
  return (
    (event.type === HostEvent.effectDone || event.type === HostEvent.effectFailed) &&
    event.effect === 'deliverLetter'
  );
}

/** A delivery failed for good (a refusal, retries used up, or a crash): the other channel once, or the record. */
const FAILED_FOR_GOOD = [
  { guard: 'canFallBack', target: 'delivering', reenter: true, actions: 'switchChannel' },
  { guard: 'isDeliveryResult', target: 'recording', actions: 'recordFailure' },
] as const;

export const campaignRecipientMachine = setup({
  types: {
    context: {} as CampaignRecipientContext,
    events: {} as CampaignRecipientEvent,
    input: {} as CampaignRecipientInput,
  },
  actions: {
    switchChannel: assign(({ context, event }) => ({
      channel: fallbackChannel(context)!,
      attempts: 0,
      detail: `${context.channel} failed: ${failureReason(event)}`,
    })),
    recordFailure: assign(({ event }) => ({ result: 'failed' as const, detail: failureReason(event) })),
    // Effects, run by the host after the step is persisted.
    deliverLetter: (
      _,
      _params: {
        recipientId: string;
        campaignId: string;
        line: number;
        channel: LetterChannel;
        attempt: number;
      },
    ) => undefined,
    recordOutcome: (_, _params: RecordLetterParams) => undefined,
  },
  guards: {
    delivered: ({ event }) => outcomeOf(event)?.kind === 'delivered',
    retryLater: ({ context, event }) => {
      const outcome = outcomeOf(event);
      return (
        outcome?.kind === 'temporary' &&
        outcome.at + retryDelay(context, outcome) < context.firstAttemptAt + context.policy.giveUpAfterMs
      );
    },
    canFallBack: ({ context, event }) => isDeliveryResult(event) && fallbackChannel(context) !== undefined,
    isDeliveryResult: ({ event }) => isDeliveryResult(event),
    due: ({ context, event }) => event.type === HostEvent.timer && event.now >= context.nextAttemptAt,
  },
}).createMachine({
  id: 'campaign-recipient',
  context: ({ input }) => ({
    recipientId: input.recipientId,
    campaignId: input.campaignId,
    line: input.line,
    position: input.position,
    email: input.email,
    fax: input.fax,
    fallback: input.fallback,
    policy: input.policy ?? DEFAULT_LETTER_RETRY_POLICY,
    channel: input.email !== undefined ? 'email' : 'fax',
    tried: [],
    attempts: 0,
    firstAttemptAt: input.createdAt,
    nextAttemptAt: input.createdAt,
    result: undefined,
    detail: undefined,
  }),
  initial: 'delivering',
  states: {
    delivering: {
      entry: [
        assign({
          attempts: ({ context }) => context.attempts + 1,
          tried: ({ context }) =>
            context.tried.includes(context.channel) ? context.tried : [...context.tried, context.channel],
        }),
        {
          type: 'deliverLetter',
          params: ({ context }) => ({
            recipientId: context.recipientId,
            campaignId: context.campaignId,
            line: context.line,
            position: context.position,
            channel: context.channel,
            attempt: context.attempts,
          }),
        },
      ],
      on: {
        [HostEvent.effectDone]: [
          {
            guard: 'delivered',
            target: 'recording',
            actions: assign(({ event }) => ({
              result: 'delivered' as const,
              detail: (outcomeOf(event) as Extract<LetterOutcome, { kind: 'delivered' }>).detail,
            })),
          },
          {
            guard: 'retryLater',
            target: 'waiting',
            actions: assign(({ context, event }) => {
              const outcome = outcomeOf(event)!;
              return {
                nextAttemptAt: outcome.at + retryDelay(context, outcome),
                detail: failureReason(event),
              };
            }),
          },
          ...FAILED_FOR_GOOD,
        ],
        [HostEvent.effectFailed]: FAILED_FOR_GOOD,
      },
    },
    waiting: { on: { [HostEvent.timer]: { guard: 'due', target: 'delivering' } } },
    recording: {
      entry: {
        type: 'recordOutcome',
        params: ({ context }) => ({
          recipientId: context.recipientId,
          campaignId: context.campaignId,
          line: context.line,
          position: context.position,
          result: context.result ?? 'failed',
          channel: context.channel,
          detail: context.detail ?? '',
        }),
      },
      on: {
        [HostEvent.effectDone]: { guard: ({ event }) => event.effect === 'recordOutcome', target: 'done' },
      },
    },
    done: { type: 'final' },
  },
});

/** The deadline the runtime fires while a temporary refusal waits out its backoff. */
export function campaignRecipientDeadline(snapshot: {
  value: unknown;
  context: CampaignRecipientContext;
}): number | undefined {
  return snapshot.value === 'waiting' ? snapshot.context.nextAttemptAt : undefined;
}
