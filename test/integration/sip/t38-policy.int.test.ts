// T.38 policies and ringing timeouts as the fax layer sees them, over real srf and the embedded
// server: `accept-peer` never offers T.38 itself, `force-audio` refuses the peer's T.38 with 488
// and keeps audio, and a call nobody answers within the trunk's answer timeout is CANCELled.
import { afterEach, describe, expect, it } from 'vitest';
import {
  NoAnswerError,
  type CallSession,
  type InboundCallHandler,
  type InboundPolicy,
  type SrfSignalling,
  type TrunkConfig,
} from '../../../src/sip/index.ts';
import { waitFor } from '../../helpers/index.ts';
import { audioSdp, startSignalling, startSipTarget, t38Sdp, trunk, type SipTarget } from './sip-harness.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(
  options: { trunks?: Partial<TrunkConfig>[]; inbound?: Partial<InboundPolicy> },
  handler: InboundCallHandler,
): Promise<{ target: SipTarget; signalling: SrfSignalling }> {
  const target = await startSipTarget();
  const signalling = await startSignalling(target, {
    ...(options.inbound === undefined ? {} : { inbound: options.inbound }),
    trunks: (options.trunks ?? [{}]).map((overrides) =>
      trunk({ name: 'loop', proxy: `${target.sipHost}:${target.sipPort}`, ...overrides }),
    ),
  });
  signalling.onInbound(handler);
  cleanups.push(
    () => signalling.close(),
    () => target.close(),
  );
  return { target, signalling };
}

function answering(sessions: CallSession[]): InboundCallHandler {
  return {
    offer: () => Promise.resolve({ kind: 'answer', sdp: audioSdp(20_000, 1, 2000) }),
    answered: (session) => sessions.push(session),
  };
}

describe('T.38 policy and timeouts', () => {
  it('accept-peer: our T.38 re-INVITE is refused locally, the peer’s is accepted', async () => {
    const sessions: CallSession[] = [];
    const { signalling } = await setUp({ trunks: [{ t38Policy: 'accept-peer' }] }, answering(sessions));
    const caller = await signalling.dial({
      to: '4940123456',
      callerId: { number: '1' },
      sdp: audioSdp(10_000),
    });
    expect(await caller.modify(t38Sdp(10_002))).toEqual({ accepted: false, status: 488, byPolicy: true });
    caller.onPeerOffer(() => Promise.resolve({ kind: 'accept', sdp: t38Sdp(10_002) }));
    const callee = await waitFor(() => sessions[0]);
    expect((await callee.modify(t38Sdp(20_002, 2, 2000))).accepted).toBe(true);
    expect(caller.remoteSdp).toContain('m=image 20002');
    await caller.hangup();
  });

  it('force-audio: the peer’s T.38 offer gets 488 and audio stays', async () => {
    const sessions: CallSession[] = [];
    const offers: string[] = [];
    const { signalling } = await setUp(
      { inbound: { t38Policy: 'force-audio' } },
      {
        ...answering(sessions),
        answered: (session) => {
          session.onPeerOffer((sdp) => {
            offers.push(sdp);
            return Promise.resolve({ kind: 'accept', sdp: t38Sdp(20_002, 2, 2000) });
          });
          sessions.push(session);
        },
      },
    );
    const caller = await signalling.dial({
      to: '4940123456',
      callerId: { number: '1' },
      sdp: audioSdp(10_000),
    });
    expect(await caller.modify(t38Sdp(10_002))).toEqual({ accepted: false, status: 488, byPolicy: false });
    const callee = await waitFor(() => sessions[0]);
    expect(offers).toEqual([]);
    expect(callee.remoteSdp).toContain('m=audio 10000');
    expect(caller.localSdp).toContain('m=audio 10000');
    await caller.hangup();
  });

  it('CANCELs a call that rings past the answer timeout: no answer (480)', async () => {
    const cancelled: boolean[] = [];
    const { signalling } = await setUp(
      { trunks: [{ answerTimeoutMs: 300 }] },
      {
        offer: (_offer, signal) =>
          new Promise((resolve) =>
            signal.addEventListener('abort', () => {
              cancelled.push(true);
              resolve({ kind: 'reject', status: 487 });
            }),
          ),
        answered: () => undefined,
      },
    );
    const outcome = await signalling
      .dial({ to: '4940123456', callerId: { number: '1' }, sdp: audioSdp(10_000) })
      .catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(NoAnswerError);
    expect((outcome as NoAnswerError).wire.sip).toBe(480);
    await waitFor(() => cancelled.length === 1, { what: 'the callee to see the CANCEL' });
  });

  it('does not dial when the request is already aborted', async () => {
    const { signalling } = await setUp({}, answering([]));
    const abort = new AbortController();
    abort.abort();
    const outcome = await signalling
      .dial({ to: '4940123456', callerId: { number: '1' }, sdp: audioSdp(10_000), signal: abort.signal })
      .catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(NoAnswerError);
    expect(signalling.trunkChannelsInUse('loop')).toBe(0);
  });
});
