// One inbound fax call: receive, keep each page the moment it is confirmed, and when the call ends —
// complete, cut off, or failed — hand the fax over to its email delivery. The call's media lives on
// the node that answered it; if that node dies, the peer that resumes this actor finds the call gone
// (the receive effect reports `lost`) and hands over the pages that were already confirmed.
import { assign, setup } from 'xstate';
import { HostEvent, type HostEventObject } from './host-events.ts';

export interface InboundFaxCallInput {
  readonly faxId: string;
  readonly callId: string;
  readonly did: string;
  readonly caller: string;
  readonly answeredAt: number;
}

/** How the receive effect ended. */
export type ReceiveOutcome = { readonly endedAt: number } & (
  | { readonly kind: 'completed'; readonly result: string }
  | { readonly kind: 'failed'; readonly result: string }
  /** The node that held the call's media died; only persisted pages remain. */
  | { readonly kind: 'lost' }
);

export interface InboundFaxCallContext {
  readonly faxId: string;
  readonly callId: string;
  readonly did: string;
  readonly caller: string;
  readonly answeredAt: number;
  readonly transport: 'audio' | 't38';
  readonly remoteStationId: string;
  readonly bitRate: number;
  readonly ecm: boolean;
  /** Archive object ids of confirmed pages, in page order. */
  readonly pages: readonly string[];
  readonly endedAt: number | undefined;
  readonly outcome: 'complete' | 'partial' | 'failed' | undefined;
  readonly result: string | undefined;
}

export type InboundFaxCallEvent =
  | HostEventObject
  | {
      type: 'call.negotiated';
      transport: 'audio' | 't38';
      remoteStationId: string;
      bitRate: number;
      ecm: boolean;
    }
  /** Page `page` is stored (sealed in the archive as `objectId`) and the far end was sent MCF. */
  | { type: 'call.pageReceived'; page: number; objectId: string };

export interface HandOverParams {
  readonly faxId: string;
  readonly did: string;
  readonly caller: string;
  readonly remoteStationId: string;
  readonly pages: readonly string[];
  readonly outcome: 'complete' | 'partial' | 'failed';
  readonly durationMs: number;
  readonly bitRate: number;
  readonly ecm: boolean;
  readonly result: string;
  readonly receivedAt: number;
}

function outcomeOf(pages: number, outcome: ReceiveOutcome): 'complete' | 'partial' | 'failed' {
  if (outcome.kind === 'completed' && pages > 0) return 'complete';
  return pages > 0 ? 'partial' : 'failed';
}

export const inboundFaxCallMachine = setup({
  types: {
    context: {} as InboundFaxCallContext,
    events: {} as InboundFaxCallEvent,
    input: {} as InboundFaxCallInput,
  },
  actions: {
    // Effects, run by the host after the step is persisted.
    receiveFax: (_, _params: { faxId: string; callId: string }) => undefined,
    handOver: (_, _params: HandOverParams) => undefined,
  },
}).createMachine({
  id: 'inbound-fax-call',
  context: ({ input }) => ({
    ...input,
    transport: 'audio',
    remoteStationId: '',
    bitRate: 0,
    ecm: false,
    pages: [],
    endedAt: undefined,
    outcome: undefined,
    result: undefined,
  }),
  initial: 'receiving',
  states: {
    receiving: {
      entry: {
        type: 'receiveFax',
        params: ({ context }) => ({ faxId: context.faxId, callId: context.callId }),
      },
      on: {
        'call.negotiated': {
          actions: assign(({ event }) => ({
            transport: event.transport,
            remoteStationId: event.remoteStationId,
            bitRate: event.bitRate,
            ecm: event.ecm,
          })),
        },
        'call.pageReceived': {
          // In order and once: a page re-announced after a retry of the effect is not added twice.
          guard: ({ context, event }) => event.page === context.pages.length + 1,
          actions: assign({ pages: ({ context, event }) => [...context.pages, event.objectId] }),
        },
        [HostEvent.effectDone]: {
          guard: ({ event }) => event.effect === 'receiveFax',
          target: 'handingOver',
          actions: assign(({ context, event }) => {
            const outcome = event.output as ReceiveOutcome;
            return {
              endedAt: outcome.endedAt,
              outcome: outcomeOf(context.pages.length, outcome),
              result:
                outcome.kind === 'lost'
                  ? 'the call was cut off when the receiving node failed'
                  : outcome.result,
            };
          }),
        },
        [HostEvent.effectFailed]: {
          guard: ({ event }) => event.effect === 'receiveFax',
          target: 'handingOver',
          actions: assign(({ context, event }) => ({
            endedAt: context.answeredAt,
            outcome: context.pages.length > 0 ? 'partial' : 'failed',
            result: event.error.message,
          })),
        },
      },
    },
    handingOver: {
      entry: {
        type: 'handOver',
        params: ({ context }) => ({
          faxId: context.faxId,
          did: context.did,
          caller: context.caller,
          remoteStationId: context.remoteStationId,
          pages: context.pages,
          outcome: context.outcome ?? 'failed',
          durationMs: (context.endedAt ?? context.answeredAt) - context.answeredAt,
          bitRate: context.bitRate,
          ecm: context.ecm,
          result: context.result ?? '',
          receivedAt: context.answeredAt,
        }),
      },
      on: { [HostEvent.effectDone]: { guard: ({ event }) => event.effect === 'handOver', target: 'done' } },
    },
    done: { type: 'final' },
  },
});
