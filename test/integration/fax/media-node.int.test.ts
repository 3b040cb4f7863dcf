// The media node's contract with the SIP layer, on real worker threads and sockets: channels get
// ports from the configured range, the node refuses channels beyond its capacity with a retryable
// 503-class error, and hanging up a channel mid-call ends it with a typed "call dropped" result.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaxRetryableError } from '../../../src/fax/index.ts';
import {
  DEFAULT_T38_PARAMS,
  MediaCapacityError,
  MediaNode,
  type MediaSpec,
} from '../../../src/media/index.ts';
import { faxDocument } from '../../helpers/fax-documents.ts';
import { makeTempDir } from '../../helpers/index.ts';

const T38: MediaSpec = { kind: 't38', params: DEFAULT_T38_PARAMS };
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
});
