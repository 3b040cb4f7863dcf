// One outbound fax to one number, from submission to a final report: dial, send, retry by the
// class of failure, resume from the first page the far end has not confirmed, give up the way
// HylaFAX does (tries, dials, the same page failing, a kill time), then report once.
// Time arrives in events (submittedAt, the call's endedAt, timer `now`); the runtime fires the
// deadline this machine keeps in context.
import { assign, setup } from 'xstate';
import { HostEvent, type HostEventObject } from './host-events.ts';

export interface RetryPolicy {
  /** Calls that connected and tried to send, before giving up. HylaFAX MaxTries. */
  readonly maxTries: number;
  /** Dial attempts of any outcome, before giving up. HylaFAX MaxDials. */
  readonly maxDials: number;
  readonly busyRetryMs: number;
  readonly noAnswerRetryMs: number;
  /** After a fax protocol failure or a dropped call. */
  readonly protocolErrorRetryMs: number;
  /** Trunk congestion (5xx, all trunks busy) when the carrier gives no Retry-After. */
  readonly congestionRetryMs: number;
  /** Give up when the same page has failed this many times in a row. */
  readonly maxFailuresOnSamePage: number;
  /** Give up this long after submission, whatever the counts say. */
  readonly killAfterMs: number;
}

/** HylaFAX's defaults (ARCHITECTURE "Defaults worth knowing"). */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxTries: 3,
  maxDials: 12,
  busyRetryMs: 180_000,
  noAnswerRetryMs: 300_000,
  protocolErrorRetryMs: 60_000,
  congestionRetryMs: 60_000,
  maxFailuresOnSamePage: 3,
  killAfterMs: 3 * 3_600_000,
};

export type Transport = 'auto' | 'audio';

/** How a dial attempt ended, as the call handler reports it. */
export type CallOutcome = { readonly endedAt: number } & (
  | { readonly kind: 'completed' }
  | { readonly kind: 'busy'; readonly retryAfterMs?: number }
  | { readonly kind: 'no-answer' }
  | { readonly kind: 'congestion'; readonly retryAfterMs?: number }
  /** The network refused the number or the call for good (404, 484, 604, 403, 603). */
  | { readonly kind: 'rejected'; readonly sipStatus: number; readonly reason: string }
  /** 488 to our T.38 offer where the far end needs audio from the start. */
  | { readonly kind: 't38-refused' }
  /** The call connected but the fax failed or the line dropped; confirmed pages arrived as events. */
  | { readonly kind: 'fax-failed'; readonly reason: string; readonly retryable: boolean }
  | { readonly kind: 'cancelled' }
);

export interface OutboundFaxJobInput {
  readonly jobId: string;
  readonly destination: string;
  readonly totalPages: number;
  readonly submittedAt: number;
  /** Earliest dial time (a scheduled send), default at once. */
  readonly notBefore?: number;
  readonly policy?: RetryPolicy;
}

export type JobResult = 'sent' | 'partial' | 'failed' | 'cancelled';

export interface OutboundFaxJobContext {
  readonly jobId: string;
  readonly destination: string;
  readonly totalPages: number;
  readonly policy: RetryPolicy;
  readonly killAt: number;
  readonly nextAttemptAt: number;
  readonly dials: number;
  readonly tries: number;
  /** Pages 1..pagesConfirmed have been confirmed by the far end (MCF). */
  readonly pagesConfirmed: number;
  readonly pagesConfirmedAtCallStart: number;
  readonly failuresOnSamePage: number;
  readonly transport: Transport;
  readonly ecm: boolean;
  readonly maxBitRate: number;
  readonly remoteStationId: string | undefined;
  readonly lastFailure: string | undefined;
  readonly result: JobResult | undefined;
  readonly cancelRequested: boolean;
}

export type OutboundFaxJobEvent =
  | HostEventObject
  | { type: 'call.ringing' }
  | { type: 'call.answered'; remoteStationId?: string }
  /** The far end confirmed this page (absolute page number in the document). */
  | { type: 'call.pageConfirmed'; page: number }
  | { type: 'cancel' };

const BIT_RATE_FALLBACK = [14_400, 12_000, 9_600, 7_200, 4_800, 2_400];

export type RetryDecision =
  | { readonly action: 'retry'; readonly at: number; readonly context: Partial<OutboundFaxJobContext> }
  | { readonly action: 'finish'; readonly result: JobResult; readonly reason: string };

function giveUp(context: OutboundFaxJobContext, reason: string): RetryDecision {
  return { action: 'finish', result: context.pagesConfirmed > 0 ? 'partial' : 'failed', reason };
}

function describe(outcome: CallOutcome): string {
  switch (outcome.kind) {
    case 'busy':
      return 'busy';
    case 'no-answer':
      return 'no answer';
    case 'congestion':
      return 'network congestion';
    case 'rejected':
      return `${outcome.reason} (SIP ${outcome.sipStatus})`;
    case 't38-refused':
      return 'T.38 refused';
    case 'fax-failed':
      return outcome.reason;
    default:
      return outcome.kind;
  }
}

/** What to do after a call: the whole retry policy in one pure function. */
export function decideAfterCall(context: OutboundFaxJobContext, outcome: CallOutcome): RetryDecision {
  const { policy } = context;
  const reason = describe(outcome);
  if (outcome.kind === 'completed')
    return { action: 'finish', result: 'sent', reason: 'all pages confirmed' };
  if (outcome.kind === 'cancelled' || context.cancelRequested) {
    return { action: 'finish', result: 'cancelled', reason: 'cancelled' };
  }
  if (outcome.kind === 'rejected') return giveUp(context, reason);
  if (context.pagesConfirmed >= context.totalPages) {
    return { action: 'finish', result: 'sent', reason: 'all pages confirmed before the call ended' };
  }

  const retryAt = (delayMs: number, changes: Partial<OutboundFaxJobContext> = {}): RetryDecision => {
    const at = outcome.endedAt + delayMs;
    if (at >= context.killAt) return giveUp(context, `${reason}; no time left before the job's kill time`);
    return { action: 'retry', at, context: { ...changes, lastFailure: reason } };
  };

  if (outcome.kind === 'fax-failed') {
    const progressed = context.pagesConfirmed > context.pagesConfirmedAtCallStart;
    const tries = context.tries + 1;
    const failuresOnSamePage = progressed ? 1 : context.failuresOnSamePage + 1;
    if (!outcome.retryable) return giveUp(context, reason);
    if (tries >= policy.maxTries) return giveUp(context, `${reason}; gave up after ${tries} tries`);
    if (failuresOnSamePage >= policy.maxFailuresOnSamePage) {
      return giveUp(
        context,
        `${reason}; page ${context.pagesConfirmed + 1} failed ${failuresOnSamePage} times`,
      );
    }
    // Without progress, the line is the suspect: slow down, and after a second failure drop ECM.
    const fallback = progressed
      ? {}
      : {
          maxBitRate:
            BIT_RATE_FALLBACK[BIT_RATE_FALLBACK.indexOf(context.maxBitRate) + 1] ?? context.maxBitRate,
          ecm: failuresOnSamePage >= 2 ? false : context.ecm,
        };
    return retryAt(policy.protocolErrorRetryMs, { tries, failuresOnSamePage, ...fallback });
  }

  if (context.dials >= policy.maxDials)
    return giveUp(context, `${reason}; gave up after ${context.dials} dials`);
  switch (outcome.kind) {
    case 'busy':
      return retryAt(outcome.retryAfterMs ?? policy.busyRetryMs);
    case 'no-answer':
      return retryAt(policy.noAnswerRetryMs);
    case 'congestion':
      return retryAt(outcome.retryAfterMs ?? policy.congestionRetryMs);
    case 't38-refused':
      return retryAt(0, { transport: 'audio' });
  }
}

/** The decision after the call effect completed, or undefined for any other event. */
function decisionFor(context: OutboundFaxJobContext, event: OutboundFaxJobEvent): RetryDecision | undefined {
  if (event.type !== HostEvent.effectDone || event.effect !== 'placeCall') return undefined;
  return decideAfterCall(context, event.output as CallOutcome);
}

export type PlaceCallParams = {
  jobId: string;
  attempt: number;
  destination: string;
  /** First page to send: 1 on the first call, the first unconfirmed page after that. */
  fromPage: number;
  totalPages: number;
  /** Prepend a continuation cover page: earlier pages already reached the far end. */
  continuation: boolean;
  transport: Transport;
  ecm: boolean;
  maxBitRate: number;
};

export type ReportParams = {
  jobId: string;
  result: JobResult;
  pagesConfirmed: number;
  totalPages: number;
  dials: number;
  remoteStationId: string | undefined;
  reason: string | undefined;
};

export const outboundFaxJobMachine = setup({
  types: {
    context: {} as OutboundFaxJobContext,
    events: {} as OutboundFaxJobEvent,
    input: {} as OutboundFaxJobInput,
  },
  actions: {
    // Effects: the host runs their handlers after the step is persisted.
    placeCall: (_, _params: PlaceCallParams) => undefined,
    hangUp: (_, _params: { jobId: string; attempt: number }) => undefined,
    reportStatus: (_, _params: ReportParams) => undefined,
    rememberStation: assign({
      remoteStationId: ({ context, event }) =>
        (event.type === 'call.answered' ? event.remoteStationId : undefined) ?? context.remoteStationId,
    }),
  },
  guards: {
    due: ({ context, event }) => event.type === HostEvent.timer && event.now >= context.nextAttemptAt,
  },
}).createMachine({
  id: 'outbound-fax-job',
  context: ({ input }) => {
    const policy = input.policy ?? DEFAULT_RETRY_POLICY;
    return {
      jobId: input.jobId,
      destination: input.destination,
      totalPages: input.totalPages,
      policy,
      killAt: input.submittedAt + policy.killAfterMs,
      nextAttemptAt: input.notBefore ?? input.submittedAt,
      dials: 0,
      tries: 0,
      pagesConfirmed: 0,
      pagesConfirmedAtCallStart: 0,
      failuresOnSamePage: 0,
      transport: 'auto',
      ecm: true,
      maxBitRate: 14_400,
      remoteStationId: undefined,
      lastFailure: undefined,
      result: undefined,
      cancelRequested: false,
    };
  },
  initial: 'queued',
  states: {
    queued: {
      on: {
        [HostEvent.timer]: { guard: 'due', target: 'calling' },
        cancel: { target: 'reporting', actions: assign({ result: 'cancelled' }) },
      },
    },
    willretry: {
      on: {
        [HostEvent.timer]: { guard: 'due', target: 'calling' },
        cancel: {
          target: 'reporting',
          actions: assign({
            result: ({ context }) => (context.pagesConfirmed > 0 ? 'partial' : 'cancelled'),
          }),
        },
      },
    },
    calling: {
      entry: [
        assign({
          dials: ({ context }) => context.dials + 1,
          pagesConfirmedAtCallStart: ({ context }) => context.pagesConfirmed,
        }),
        {
          type: 'placeCall',
          params: ({ context }) => ({
            jobId: context.jobId,
            attempt: context.dials,
            destination: context.destination,
            fromPage: context.pagesConfirmed + 1,
            totalPages: context.totalPages,
            continuation: context.pagesConfirmed > 0,
            transport: context.transport,
            ecm: context.ecm,
            maxBitRate: context.maxBitRate,
          }),
        },
      ],
      initial: 'dialing',
      states: {
        dialing: {
          on: {
            'call.ringing': 'ringing',
            'call.answered': { target: 'sending', actions: 'rememberStation' },
          },
        },
        ringing: { on: { 'call.answered': { target: 'sending', actions: 'rememberStation' } } },
        sending: { on: { 'call.answered': { actions: 'rememberStation' } } },
      },
      on: {
        'call.pageConfirmed': {
          // Pages are confirmed in order; a late duplicate never moves the count back.
          actions: assign({
            pagesConfirmed: ({ context, event }) =>
              event.page === context.pagesConfirmed + 1 ? event.page : context.pagesConfirmed,
          }),
        },
        cancel: {
          actions: [
            assign({ cancelRequested: true }),
            { type: 'hangUp', params: ({ context }) => ({ jobId: context.jobId, attempt: context.dials }) },
          ],
        },
        [HostEvent.effectDone]: [
          {
            guard: ({ context, event }) => decisionFor(context, event)?.action === 'retry',
            target: 'willretry',
            actions: assign(({ context, event }) => {
              const decision = decisionFor(context, event) as Extract<RetryDecision, { action: 'retry' }>;
              return { ...decision.context, nextAttemptAt: decision.at };
            }),
          },
          {
            guard: ({ context, event }) => decisionFor(context, event)?.action === 'finish',
            target: 'reporting',
            actions: assign(({ context, event }) => {
              const decision = decisionFor(context, event) as Extract<RetryDecision, { action: 'finish' }>;
              return {
                result: decision.result,
                lastFailure: decision.result === 'sent' ? undefined : decision.reason,
              };
            }),
          },
        ],
        [HostEvent.effectFailed]: {
          guard: ({ event }) => event.effect === 'placeCall',
          target: 'reporting',
          actions: assign({
            lastFailure: ({ event }) => event.error.message,
            result: ({ context }) => (context.pagesConfirmed > 0 ? 'partial' : 'failed'),
          }),
        },
      },
    },
    reporting: {
      entry: {
        type: 'reportStatus',
        params: ({ context }) => ({
          jobId: context.jobId,
          result: context.result ?? 'failed',
          pagesConfirmed: context.pagesConfirmed,
          totalPages: context.totalPages,
          dials: context.dials,
          remoteStationId: context.remoteStationId,
          reason: context.lastFailure,
        }),
      },
      on: {
        [HostEvent.effectDone]: { guard: ({ event }) => event.effect === 'reportStatus', target: 'done' },
      },
    },
    done: { type: 'final' },
  },
});

export type OutboundFaxJobStatus = 'queued' | 'dialing' | 'ringing' | 'sending' | 'willretry' | JobResult;

/** The state a person sees: queued, dialing, ringing, sending, willretry, sent, partial, failed, cancelled. */
export function outboundFaxJobStatus(snapshot: {
  value: unknown;
  context: OutboundFaxJobContext;
}): OutboundFaxJobStatus {
  const value = snapshot.value;
  if (value === 'queued' || value === 'willretry') return value;
  if (typeof value === 'object' && value !== null && 'calling' in value) {
    return (value as { calling: 'dialing' | 'ringing' | 'sending' }).calling;
  }
  return snapshot.context.result ?? 'failed';
}

/** The deadline the runtime must fire (decision 5: kept in context, never an `after` timer). */
export function outboundFaxJobDeadline(snapshot: {
  value: unknown;
  context: OutboundFaxJobContext;
}): number | undefined {
  return snapshot.value === 'queued' || snapshot.value === 'willretry'
    ? snapshot.context.nextAttemptAt
    : undefined;
}
