// A real fax end to end through SIP: a caller and a callee (our srf adapter, both on the embedded
// server, the call looping over loopback SIP; each side a FaxCallLeg from src/fax-call) set up a
// call on audio, the receiving side re-INVITEs to T.38 as the switch does, and the SpanDSP engine
// (src/fax via src/media's MediaNode) sends a 2-page G4 document over UDPTL to the ports the SDP
// named. The received pages must be pixel-identical to the sent ones. Runs in real time (≈30 s of T.30).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bitmapsEqual } from '../../../src/documents/index.ts';
import type { ConfirmedPage } from '../../../src/fax/index.ts';
import { FaxCallLeg, receivedFile } from '../../../src/fax-call/index.ts';
import { DEFAULT_T38_PARAMS, MediaNode } from '../../../src/media/index.ts';
import type { SrfSignalling } from '../../../src/sip/index.ts';
import { faxDocument, tiffPage } from '../../helpers/fax-documents.ts';
import { makeTempDir, waitFor } from '../../helpers/index.ts';
import { startSignalling, startSipTarget, trunk, type SipTarget } from '../../integration/sip/sip-harness.ts';

describe('real fax over SIP + T.38 through the embedded server', () => {
  let target: SipTarget;
  let signalling: SrfSignalling;
  let media: MediaNode;
  const dir = makeTempDir('faxswitch-sip-fax-');

  beforeAll(async () => {
    target = await startSipTarget();
    signalling = await startSignalling(target, {
      trunks: [trunk({ name: 'loopback', proxy: `${target.sipHost}:${target.sipPort}` })],
    });
    media = await MediaNode.start({
      host: '127.0.0.1',
      portMin: 48000,
      portMax: 48999,
      maxChannels: 4,
      workers: 1,
    });
  });

  afterAll(async () => {
    await signalling.close();
    await target.close();
    await media.stop();
  });

  it('delivers the pages sent, pixel for pixel', { timeout: 150_000 }, async () => {
    const doc = faxDocument('standard', 2);
    const received: ConfirmedPage[] = [];
    const receivedPath = path.join(dir, 'received.tif');
    const leg = { media, address: '127.0.0.1', t38: DEFAULT_T38_PARAMS };
    let callee: FaxCallLeg | undefined;

    // The receiving switch answers on audio and goes to T.38 at once with its own UDPTL port.
    signalling.onInbound({
      offer: async () => {
        callee = await FaxCallLeg.open(
          {
            ...leg,
            job: { direction: 'receive', file: receivedPath, ecm: true, ident: 'SIP E2E RECEIVER' },
            calling: false,
            events: { onPageConfirmed: (page) => received.push(page) },
          },
          'pcma',
        );
        return { kind: 'answer', sdp: callee.audioSdp() };
      },
      answered: (session) => {
        callee!.attach(session);
        void callee!.offerT38();
      },
    });

    // The caller accepts the switch's T.38 offer and sends to the port it names.
    const caller = await FaxCallLeg.open({
      ...leg,
      job: { direction: 'send', file: doc, ecm: true, ident: 'SIP E2E SENDER' },
      calling: true,
    });
    const session = await signalling.dial({
      to: '4940123456',
      callerId: { number: '4930999' },
      sdp: caller.audioSdp(),
    });
    caller.attach(session);
    const answered = await waitFor(() => callee, { what: 'the callee leg' });

    const [sent, got] = await Promise.all([caller.finished(), answered.finished()]);
    await caller.hangup();

    expect(sent).toMatchObject({ media: 't38', result: { text: 'OK' } });
    expect(got).toMatchObject({ media: 't38', result: { text: 'OK' } });
    expect(received).toHaveLength(2);
    expect(received[0]?.remoteIdent).toBe('SIP E2E SENDER');
    for (const [index, page] of received.entries()) {
      expect(bitmapsEqual(page.page!, tiffPage(doc, index + 1))).toBe(true);
    }
    expect(bitmapsEqual(tiffPage(receivedFile(receivedPath, 't38'), 2), tiffPage(doc, 2))).toBe(true);
  });
});
