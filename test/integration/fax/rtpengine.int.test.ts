// Real-time interop with rtpengine, an independent UDPTL stack and T.38⇄G.711 gateway: our T.38
// terminal faxes through rtpengine to our audio terminal and the other way round, ECM on and off,
// all four calls at once (1-page faxes, about half a minute). Pages must arrive pixel-identical.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bitmapsEqual } from '../../../src/documents/index.ts';
import type { ConfirmedPage, FaxJobOptions } from '../../../src/fax/index.ts';
import {
  DEFAULT_T38_PARAMS,
  formatT38Media,
  MediaNode,
  parseT38Media,
  type MediaSpec,
} from '../../../src/media/index.ts';
import { faxDocument, tiffPage } from '../../helpers/fax-documents.ts';
import { makeTempDir } from '../../helpers/index.ts';
import { startRtpengine, type Rtpengine } from '../../helpers/rtpengine.ts';

let rtpengine: Rtpengine;
let media: MediaNode;
const dir = makeTempDir('faxswitch-rtpengine-');

beforeAll(async () => {
  rtpengine = await startRtpengine(46000, 46999);
  media = await MediaNode.start({
    host: '127.0.0.1',
    portMin: 47000,
    portMax: 47999,
    maxChannels: 16,
    workers: 1,
  });
});

afterAll(async () => {
  await media?.stop();
  await rtpengine?.dispose();
});

function sdpFor(spec: MediaSpec, port: number): string {
  const head = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n';
  if (spec.kind === 't38') return head + formatT38Media(port, spec.params);
  return `${head}m=audio ${port} RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n`;
}

function remotePort(sdp: string, kind: MediaSpec['kind']): number {
  if (kind === 't38') return parseT38Media(sdp)!.port;
  return Number(/m=audio (\d+)/.exec(sdp)![1]);
}

const T38: MediaSpec = { kind: 't38', params: DEFAULT_T38_PARAMS };
const AUDIO: MediaSpec = { kind: 'audio', law: 'pcma' };

/** Caller offers its media to rtpengine, which gateways it to the callee's kind. */
async function callThroughRtpengine(callId: string, sender: MediaSpec, receiver: MediaSpec, ecm: boolean) {
  const doc = faxDocument('standard', 1);
  const received: ConfirmedPage[] = [];
  const sendJob: FaxJobOptions = { direction: 'send', file: doc, ecm, ident: 'RTPENGINE TEST' };
  const receiveJob: FaxJobOptions = { direction: 'receive', file: path.join(dir, `${callId}.tif`), ecm };
  const a = await media.openChannel({ media: sender, job: sendJob, calling: true });
  const b = await media.openChannel(
    { media: receiver, job: receiveJob, calling: false },
    { onPageConfirmed: (p) => received.push(p) },
  );
  const gatewayFlag = sender.kind === 't38' ? 'decode' : 'force';
  const offer = await rtpengine.command({
    command: 'offer',
    'call-id': callId,
    'from-tag': 'a',
    sdp: sdpFor(sender, a.localPort),
    'T.38': [gatewayFlag],
  });
  const answer = await rtpengine.command({
    command: 'answer',
    'call-id': callId,
    'from-tag': 'a',
    'to-tag': 'b',
    sdp: sdpFor(receiver, b.localPort),
    'T.38': [gatewayFlag],
  });
  b.connect({ host: '127.0.0.1', port: remotePort(offer['sdp'] as string, receiver.kind) });
  a.connect({ host: '127.0.0.1', port: remotePort(answer['sdp'] as string, sender.kind) });
  const [sent, got] = await Promise.all([a.finished, b.finished]);
  await rtpengine.command({ command: 'delete', 'call-id': callId, 'from-tag': 'a' });
  return { callId, doc, sent: sent.result, got: got.result, received };
}

describe('through rtpengine (T.38 ⇄ G.711 gateway)', () => {
  it('delivers pixel-identical pages both ways, ECM on and off', { timeout: 150_000 }, async () => {
    const calls = await Promise.all([
      callThroughRtpengine('t38-to-audio-ecm', T38, AUDIO, true),
      callThroughRtpengine('t38-to-audio-noecm', T38, AUDIO, false),
      callThroughRtpengine('audio-to-t38-ecm', AUDIO, T38, true),
      callThroughRtpengine('audio-to-t38-noecm', AUDIO, T38, false),
    ]);
    for (const call of calls) {
      const page = call.received[0];
      const seen = `${call.callId}: ${call.sent.text} / ${call.got.text}, bad rows ${page?.badRows}`;
      expect(call.sent.text, seen).toBe('OK');
      expect(call.got.text, seen).toBe('OK');
      expect(call.received, seen).toHaveLength(1);
      expect(page?.remoteIdent, seen).toBe('RTPENGINE TEST');
      expect(bitmapsEqual(page!.page!, tiffPage(call.doc, 1)), seen).toBe(true);
    }
    expect(calls.map((c) => c.got.stats.ecm)).toEqual([true, false, true, false]);
  });
});
