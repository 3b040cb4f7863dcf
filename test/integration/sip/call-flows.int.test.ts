// The SIP contract suite: real drachtio-srf, real SIP over loopback UDP, one signalling instance
// that calls itself through the server under test (embedded by default, a real drachtio-server when
// DRACHTIO_URL is set — see docs/sip.md). It checks what the fax layer sees of each call flow.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BadNumberError,
  CallBusyError,
  CongestionError,
  NoAnswerError,
  type CallSession,
  type InboundOffer,
  type PeerOfferDecision,
  type SrfSignalling,
} from '../../../src/sip/index.ts';
import { waitFor } from '../../helpers/index.ts';
import { audioSdp, startSignalling, startSipTarget, t38Sdp, trunk, type SipTarget } from './sip-harness.ts';

const DID = '4940123456';

interface Callee {
  offers: InboundOffer[];
  sessions: CallSession[];
  peerOffers: string[];
  ended: string[];
  decide: (
    offer: InboundOffer,
  ) => Promise<
    { kind: 'answer'; sdp: string } | { kind: 'reject'; status: number; headers?: Record<string, string> }
  >;
  peerDecision: (sdp: string) => PeerOfferDecision;
}

describe(`SIP call flows against the ${process.env['DRACHTIO_URL'] ? 'real drachtio-server' : 'embedded server'}`, () => {
  let target: SipTarget;
  let signalling: SrfSignalling;
  let full = false;
  const callee: Callee = {
    offers: [],
    sessions: [],
    peerOffers: [],
    ended: [],
    decide: () => Promise.resolve({ kind: 'answer', sdp: audioSdp(20_000, 1, 2000) }),
    peerDecision: (sdp) => ({
      kind: 'accept',
      sdp: sdp.includes('m=image') ? t38Sdp(20_002, 2, 2000) : audioSdp(20_000, 2, 2000),
    }),
  };

  beforeAll(async () => {
    target = await startSipTarget();
    signalling = await startSignalling(target, {
      trunks: [trunk({ name: 'loopback', proxy: `${target.sipHost}:${target.sipPort}` })],
      inbound: { hasCapacity: () => !full },
    });
    signalling.onInbound({
      offer: (offer) => {
        callee.offers.push(offer);
        return callee.decide(offer);
      },
      answered: (session) => {
        callee.sessions.push(session);
        session.onPeerOffer((sdp) => {
          callee.peerOffers.push(sdp);
          return Promise.resolve(callee.peerDecision(sdp));
        });
        session.onEnded((reason) => callee.ended.push(reason));
      },
    });
  });

  afterAll(async () => {
    await signalling.close();
    await target.close();
  });

  async function call(to = DID): Promise<{ caller: CallSession; callee: CallSession }> {
    const before = callee.sessions.length;
    const caller = await signalling.dial({
      to,
      callerId: { number: '4930999', name: 'Fax Test' },
      sdp: audioSdp(10_000),
      job: { job: 'job-1', attempt: 2, epoch: 7 },
    });
    const answered = await waitFor(() => callee.sessions[before], { what: 'the callee session' });
    return { caller, callee: answered };
  }

  it('delivers the offer with DID, caller, SDP and X-Fax-Job, and answers with SDP', async () => {
    const { caller, callee: answered } = await call();
    const offer = callee.offers.at(-1);
    expect(offer?.did).toBe(DID);
    expect(offer?.caller).toBe('4930999');
    expect(offer?.callerName).toBe('Fax Test');
    expect(offer?.headers['x-fax-job']).toBe('job-1;attempt=2;epoch=7');
    expect(offer?.sdp).toContain('m=audio 10000 RTP/AVP');
    expect(caller.remoteSdp).toContain('m=audio 20000 RTP/AVP');
    expect(caller.trunk).toBe('loopback');
    expect(answered.direction).toBe('inbound');
    await caller.hangup();
    await waitFor(() => answered.ended, { what: 'BYE to reach the callee' });
    expect(callee.ended.at(-1)).toBe('remote-hangup');
  });

  it('switches to T.38 with our re-INVITE; a session refresh afterwards never reaches the fax layer', async () => {
    const { caller, callee: answered } = await call();
    const peerOffersBefore = callee.peerOffers.length;
    const result = await caller.modify(t38Sdp(10_002));
    expect(result).toEqual({
      accepted: true,
      remoteSdp: expect.stringContaining('m=image 20002 udptl t38') as unknown,
    });
    expect(callee.peerOffers.length).toBe(peerOffersBefore + 1);
    expect(answered.remoteSdp).toContain('m=image 10002 udptl t38');

    // Session timer: the same SDP (unchanged o= version) again.
    const refresh = await caller.modify(caller.localSdp);
    expect(refresh.accepted).toBe(true);
    expect(callee.peerOffers.length).toBe(peerOffersBefore + 1);
    expect(answered.refreshCount).toBe(1);
    expect(answered.remoteSdp).toContain('m=image 10002 udptl t38');
    await caller.hangup();
  });

  it('keeps audio when the peer refuses our T.38 re-INVITE with 488', async () => {
    callee.peerDecision = () => ({ kind: 'refuse', status: 488 });
    const { caller, callee: answered } = await call();
    const result = await caller.modify(t38Sdp(10_002));
    expect(result).toEqual({ accepted: false, status: 488, byPolicy: false });
    expect(caller.localSdp).toContain('m=audio 10000');
    expect(answered.remoteSdp).toContain('m=audio 10000');
    expect(caller.ended).toBe(false);
    callee.peerDecision = (sdp) => ({
      kind: 'accept',
      sdp: sdp.includes('m=image') ? t38Sdp(20_002, 2, 2000) : audioSdp(20_000, 2, 2000),
    });
    await caller.hangup();
  });

  it('accepts the peer’s T.38 re-INVITE (the callee switches)', async () => {
    const { caller, callee: answered } = await call();
    const offers: string[] = [];
    caller.onPeerOffer((sdp) => {
      offers.push(sdp);
      return Promise.resolve({ kind: 'accept', sdp: t38Sdp(10_004, 2) });
    });
    const result = await answered.modify(t38Sdp(20_004, 3, 2000));
    expect(result.accepted).toBe(true);
    expect(offers).toHaveLength(1);
    expect(caller.remoteSdp).toContain('m=image 20004 udptl t38');
    await answered.hangup();
    await waitFor(() => caller.ended, { what: 'BYE to reach the caller' });
  });

  it('maps an unknown DID to a terminal 404 and a rejection by the fax layer to its status', async () => {
    const unknown = await signalling
      .dial({ to: '4900000000', callerId: { number: '1' }, sdp: audioSdp(10_000) })
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(BadNumberError);
    expect((unknown as BadNumberError).wire.sip).toBe(404);

    callee.decide = () => Promise.resolve({ kind: 'reject', status: 486 });
    const busy = await signalling
      .dial({ to: DID, callerId: { number: '1' }, sdp: audioSdp(10_000) })
      .catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(CallBusyError);
    expect((busy as CallBusyError).retryable).toBe(true);
    callee.decide = () => Promise.resolve({ kind: 'answer', sdp: audioSdp(20_000, 1, 2000) });
  });

  it('answers 503 with Retry-After when the node is full', async () => {
    full = true;
    const refused = await signalling
      .dial({ to: DID, callerId: { number: '1' }, sdp: audioSdp(10_000) })
      .catch((e: unknown) => e);
    full = false;
    expect(refused).toBeInstanceOf(CongestionError);
    expect((refused as CongestionError).retryAfterMs).toBe(30_000);
    expect((refused as CongestionError).wire.sip).toBe(503);
  });

  it('CANCELs on abort and reports no answer', async () => {
    let release: () => void = () => undefined;
    callee.decide = () =>
      new Promise((resolve) => (release = () => resolve({ kind: 'reject', status: 500 })));
    const abort = new AbortController();
    const pending = signalling.dial({
      to: DID,
      callerId: { number: '1' },
      sdp: audioSdp(10_000),
      signal: abort.signal,
      onProvisional: () => abort.abort(),
    });
    const outcome = await pending.catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(NoAnswerError);
    expect((outcome as NoAnswerError).wire.sip).toBe(487);
    release();
    callee.decide = () => Promise.resolve({ kind: 'answer', sdp: audioSdp(20_000, 1, 2000) });
  });
});
