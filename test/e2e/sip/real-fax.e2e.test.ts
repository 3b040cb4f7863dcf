// A real fax end to end through SIP: a caller and a callee (our srf adapter, both on the embedded
// server, the call looping over loopback SIP) set up a call on audio, the receiving side re-INVITEs
// to T.38 as the switch does, and the SpanDSP engine (src/fax via src/media's MediaNode) sends a
// 2-page G4 document over UDPTL to the ports the SDP named. The received pages must be
// pixel-identical to the sent ones. Runs in real time (≈30 s of T.30).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bitmapsEqual } from '../../../src/documents/index.ts';
import type { ConfirmedPage } from '../../../src/fax/index.ts';
import {
  answerT38,
  DEFAULT_T38_PARAMS,
  formatT38Media,
  MediaNode,
  parseT38Media,
  type MediaChannel,
} from '../../../src/media/index.ts';
import type { CallSession, SrfSignalling } from '../../../src/sip/index.ts';
import { faxDocument, tiffPage } from '../../helpers/fax-documents.ts';
import { makeTempDir, waitFor } from '../../helpers/index.ts';
import {
  audioSdp,
  startSignalling,
  startSipTarget,
  trunk,
  type SipTarget,
} from '../../integration/sip/sip-harness.ts';

const SESSION_HEAD = 'v=0\r\no=faxswitch 7 2 IN IP4 127.0.0.1\r\ns=fax\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n';

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
    const receivedFile = path.join(dir, 'received.tif');
    let callee: CallSession | undefined;

    signalling.onInbound({
      offer: () => Promise.resolve({ kind: 'answer', sdp: audioSdp(48_990, 1, 7) }),
      answered: (session) => {
        callee = session;
      },
    });

    const caller = await signalling.dial({
      to: '4940123456',
      callerId: { number: '4930999' },
      sdp: audioSdp(48_991),
    });
    let sender: MediaChannel | undefined;
    // The caller accepts the switch's T.38 offer and starts sending to the port it names.
    caller.onPeerOffer(async (offer) => {
      const remote = parseT38Media(offer);
      if (remote === undefined) return { kind: 'refuse', status: 488 };
      const params = answerT38(remote.params);
      sender = await media.openChannel({
        media: { kind: 't38', params },
        job: { direction: 'send', file: doc, ecm: true, ident: 'SIP E2E SENDER' },
        calling: true,
        remote: { host: remote.address ?? '127.0.0.1', port: remote.port },
      });
      return { kind: 'accept', sdp: SESSION_HEAD + formatT38Media(sender.localPort, params) };
    });

    // The receiving switch goes to T.38 (as it does on CED / V.21) with its own UDPTL port.
    const answered = await waitFor(() => callee, { what: 'the callee session' });
    const receiver = await media.openChannel(
      {
        media: { kind: 't38', params: DEFAULT_T38_PARAMS },
        job: { direction: 'receive', file: receivedFile, ecm: true, ident: 'SIP E2E RECEIVER' },
        calling: false,
      },
      { onPageConfirmed: (page) => received.push(page) },
    );
    const switched = await answered.modify(
      SESSION_HEAD + formatT38Media(receiver.localPort, DEFAULT_T38_PARAMS),
    );
    if (!switched.accepted) throw new Error(`T.38 re-INVITE refused with ${switched.status}`);
    const senderMedia = parseT38Media(switched.remoteSdp);
    expect(senderMedia?.port).toBe(sender?.localPort);
    receiver.connect({ host: senderMedia?.address ?? '127.0.0.1', port: senderMedia?.port ?? 0 });

    const [sent, got] = await Promise.all([sender!.finished, receiver.finished]);
    await caller.hangup();
    await waitFor(() => answered.ended, { what: 'the BYE' });

    expect(sent.result.text).toBe('OK');
    expect(got.result.text).toBe('OK');
    expect(received).toHaveLength(2);
    expect(received[0]?.remoteIdent).toBe('SIP E2E SENDER');
    for (const [index, page] of received.entries()) {
      expect(bitmapsEqual(page.page!, tiffPage(doc, index + 1))).toBe(true);
    }
    expect(bitmapsEqual(tiffPage(receivedFile, 2), tiffPage(doc, 2))).toBe(true);
  });
});
