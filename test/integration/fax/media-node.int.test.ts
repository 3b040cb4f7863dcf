// The media node's contract with the SIP layer, on real worker threads and sockets: channels get
// ports from the configured range, the node refuses channels beyond its capacity with a retryable
// 503-class error, hanging up a channel mid-call ends it with a typed "call dropped" result, and an
// audio channel reports the far end's answer tone.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaxRetryableError, type ConnectTone } from '../../../src/fax/index.ts';
import {
  DEFAULT_T38_PARAMS,
  MediaCapacityError,
  MediaNode,
  type MediaSpec,
} from '../../../src/media/index.ts';
import { faxDocument } from '../../helpers/fax-documents.ts';
import { makeTempDir } from '../../helpers/index.ts';

const T38: MediaSpec = { kind: 't38', params: DEFAULT_T38_PARAMS };
const AUDIO: MediaSpec = { kind: 'audio', law: 'pcma' };
let node: MediaNode;

beforeAll(async () => {
  node = await MediaNode.start({
    host: '127.0.0.1',
    portMin: 48000,
    portMax: 48999,
    maxChannels: 2,
    workers: 2,
  });
});

afterAll(async () => {
  await node?.stop();
});

describe('MediaNode', () => {
  it('allocates even ports in range, enforces capacity, and reports a hang-up as a dropped call', async () => {
    let negotiated!: () => void;
    const inCall = new Promise<void>((resolve) => (negotiated = resolve));
    const sender = await node.openChannel(
      { media: T38, calling: true, job: { direction: 'send', file: faxDocument('standard', 1) } },
      { onNegotiated: () => negotiated() },
    );
    const receiver = await node.openChannel({
      media: T38,
      calling: false,
      job: { direction: 'receive', file: path.join(makeTempDir('faxswitch-node-'), 'rx.tif') },
    });
    for (const port of [sender.localPort, receiver.localPort]) {
      expect(port % 2).toBe(0);
      expect(port).toBeGreaterThanOrEqual(48000);
      expect(port).toBeLessThanOrEqual(48999);
    }
    const refused = node.openChannel({
      media: T38,
      calling: true,
      job: { direction: 'send', file: faxDocument('standard', 1) },
    });
    await expect(refused).rejects.toBeInstanceOf(MediaCapacityError);
    await expect(refused).rejects.toMatchObject({ retryable: true, wire: { sip: 503 } });

    sender.connect({ host: '127.0.0.1', port: receiver.localPort });
    receiver.connect({ host: '127.0.0.1', port: sender.localPort });
    await inCall; // phase B: the two ends have agreed on a modem and ECM
    sender.hangUp();
    receiver.hangUp();
    const [sent, received] = await Promise.all([sender.finished, receiver.finished]);
    expect(sent.result.ok).toBe(false);
    expect(sent.result.error).toBeInstanceOf(FaxRetryableError);
    expect(sent.result.error?.codeName).toBe('CALLDROPPED');
    expect(sent.channel.packetsOut).toBeGreaterThan(0);
    expect(received.channel.packetsIn).toBeGreaterThan(0);
    expect(node.activeChannels).toBe(0);
  }, 90_000);

  it('tells an audio call it reached a fax machine when CED comes back (cue for T.38)', async () => {
    let heard!: (tone: ConnectTone) => void;
    const tone = new Promise<ConnectTone>((resolve) => (heard = resolve));
    const caller = await node.openChannel(
      {
        media: AUDIO,
        calling: true,
        detectTones: true,
        job: { direction: 'send', file: faxDocument('standard', 1) },
      },
      { onTone: (t) => heard(t) },
    );
    const callee = await node.openChannel({
      media: AUDIO,
      calling: false,
      job: { direction: 'receive', file: path.join(makeTempDir('faxswitch-node-'), 'rx.tif') },
    });
    caller.connect({ host: '127.0.0.1', port: callee.localPort });
    callee.connect({ host: '127.0.0.1', port: caller.localPort });
    expect(await tone).toBe('ced');
    caller.hangUp();
    callee.hangUp();
    await Promise.all([caller.finished, callee.finished]);
  }, 30_000);
});
