// sipp as the carrier, against the server under test (embedded unless DRACHTIO_URL is set) and
// our srf adapter: every scenario must pass in sipp (exit code 0) and our side must have seen what
// the fax layer should see — T.38 switches, refusals, refreshes that never restart the fax.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type CallSession,
  type InboundDecision,
  type InboundOffer,
  type ModifyResult,
  type SrfSignalling,
} from '../../../src/sip/index.ts';
import { waitFor } from '../../helpers/index.ts';
import {
  audioSdp,
  startSignalling,
  startSipTarget,
  t38Sdp,
  trunk,
  type SipTarget,
} from '../../integration/sip/sip-harness.ts';
import { freeUdpPort, runSipp, waitForUdpListener } from './sipp.ts';

describe('sipp scenarios', () => {
  let target: SipTarget;
  let signalling: SrfSignalling;
  let full = false;
  let decide: (offer: InboundOffer, cancelled: AbortSignal) => Promise<InboundDecision>;
  let onAnswered: (session: CallSession) => void;
  const offers: InboundOffer[] = [];
  const sessions: CallSession[] = [];
  /** What the fax layer would be told: new media offers from the peer. */
  const peerOffers: string[] = [];
  const cancelled: string[] = [];

  beforeAll(async () => {
    target = await startSipTarget();
    signalling = await startSignalling(target, {
      inbound: { hasCapacity: () => !full, retryAfterSeconds: 20 },
    });
    signalling.onInbound({
      offer: (offer, signal) => {
        offers.push(offer);
        signal.addEventListener('abort', () => cancelled.push(offer.callId));
        return decide(offer, signal);
      },
      answered: (session) => {
        sessions.push(session);
        session.onPeerOffer((sdp) => {
          peerOffers.push(sdp);
          return Promise.resolve({ kind: 'accept', sdp: t38Sdp(40_002, 2, 4000) });
        });
        onAnswered(session);
      },
    });
  });

  beforeEach(() => {
    full = false;
    decide = () => Promise.resolve({ kind: 'answer', sdp: audioSdp(40_000, 1, 4000) });
    onAnswered = () => undefined;
    offers.length = 0;
    sessions.length = 0;
    peerOffers.length = 0;
    cancelled.length = 0;
  });

  afterAll(async () => {
    await signalling.close();
    await target.close();
  });

  const remote = (): string => `${target.sipHost}:${target.sipPort}`;

  it('inbound call → 200 → ACK → peer re-INVITE to T.38 → BYE', async () => {
    const run = await runSipp('uac-t38-reinvite.xml', { remote: remote() });
    expect(run.code, run.errors).toBe(0);
    expect(offers[0]?.did).toBe('4940123456');
    expect(offers[0]?.caller).toBe('4930111');
    expect(peerOffers).toHaveLength(1);
    expect(peerOffers[0]).toContain('m=image');
    await waitFor(() => sessions[0]?.ended, { what: 'the BYE' });
  });

  it('CANCEL before answer: 487 to the caller, the fax layer’s offer is aborted', async () => {
    decide = (_offer, signal) =>
      new Promise((resolve) =>
        signal.addEventListener('abort', () => resolve({ kind: 'reject', status: 487 })),
      );
    const run = await runSipp('uac-cancel.xml', { remote: remote() });
    expect(run.code, run.errors).toBe(0);
    expect(cancelled).toEqual([offers[0]?.callId]);
    expect(sessions).toHaveLength(0);
  });

  it('488 to our T.38 re-INVITE keeps the call on audio until the BYE', async () => {
    const results: ModifyResult[] = [];
    onAnswered = (session) => {
      // As the fax layer does on CED: ask for T.38 once the call is up.
      setTimeout(() => void session.modify(t38Sdp(40_002, 2, 4000)).then((r) => results.push(r)), 50);
    };
    const run = await runSipp('uac-488-to-our-t38.xml', { remote: remote() });
    expect(run.code, run.errors).toBe(0);
    expect(results).toEqual([{ accepted: false, status: 488, byPolicy: false }]);
    expect(sessions[0]?.localSdp).toContain('m=audio 40000');
    await waitFor(() => sessions[0]?.ended, { what: 'the BYE' });
  });

  it('a session refresh during T.38 is answered with the T.38 SDP and never restarts the fax', async () => {
    const results: ModifyResult[] = [];
    onAnswered = (session) => {
      setTimeout(() => void session.modify(t38Sdp(40_002, 2, 4000)).then((r) => results.push(r)), 50);
    };
    const run = await runSipp('uac-refresh-during-t38.xml', { remote: remote() });
    expect(run.code, run.errors).toBe(0);
    expect(results[0]?.accepted).toBe(true);
    expect(peerOffers).toEqual([]);
    expect(sessions[0]?.refreshCount).toBe(2);
    expect(sessions[0]?.remoteSdp).toContain('m=image');
  });

  it('unknown DID → 404', async () => {
    const run = await runSipp('uac-unknown-did.xml', { remote: remote(), service: '4900000000' });
    expect(run.code, run.errors).toBe(0);
    expect(offers).toHaveLength(0);
  });

  it('malformed INVITE → 400, and the app never sees it', async () => {
    const run = await runSipp('uac-malformed.xml', { remote: remote() });
    expect(run.code, run.errors).toBe(0);
    expect(offers).toHaveLength(0);
  });

  it('node full → 503 with Retry-After', async () => {
    full = true;
    const run = await runSipp('uac-overload.xml', { remote: remote() });
    expect(run.code, run.errors).toBe(0);
    expect(offers).toHaveLength(0);
  });

  for (const challenge of ['401', '407'] as const) {
    it(`outbound call challenged with ${challenge} succeeds with digest auth`, async () => {
      const port = await freeUdpPort();
      const carrier = runSipp(`uas-digest-${challenge}.xml`, { localPort: port });
      const outbound = await startSignalling(target, {
        trunks: [
          trunk({ name: 'carrier', proxy: `127.0.0.1:${port}`, username: 'faxuser', password: 'faxpass' }),
        ],
      });
      try {
        await waitForUdpListener(port);
        const call = await outbound.dial({
          to: '4971112345',
          callerId: { number: '4930999' },
          sdp: audioSdp(40_010),
          job: { job: 'job-42', attempt: 1, epoch: 9 },
        });
        expect(call.remoteSdp).toContain('m=audio');
        await call.hangup();
        const run = await carrier;
        expect(run.code, run.errors).toBe(0);
      } finally {
        await outbound.close();
      }
    });
  }
});
