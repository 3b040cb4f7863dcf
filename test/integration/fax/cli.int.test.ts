// `faxswitch fax send` and `fax receive` as real processes over loopback, the way operators and
// the end-to-end tests use them: G.711 µ-law audio in real time, resuming at page 2 of a 2-page
// document. ECM stays on: without it a late wake-up on a busy host costs image rows (SpanDSP
// repairs them by copying), and the page written by the receiver must be pixel-identical.
import dgram from 'node:dgram';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bitmapsEqual } from '../../../src/documents/index.ts';
import { faxDocument, tiffPage } from '../../helpers/fax-documents.ts';
import { faxswitch } from '../../helpers/cli.ts';
import { makeTempDir } from '../../helpers/index.ts';

async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

describe('faxswitch fax send / receive (raw media mode)', () => {
  it('faxes page 2 of a document over G.711 µ-law between two processes', { timeout: 120_000 }, async () => {
    const doc = faxDocument('standard', 2);
    const out = path.join(makeTempDir('faxswitch-cli-'), 'received.tif');
    const port = await freeUdpPort();
    let listening!: () => void;
    const ready = new Promise<void>((resolve) => (listening = resolve));
    const receiver = faxswitch(
      [
        'fax',
        'receive',
        '--listen',
        `127.0.0.1:${port}`,
        '--out',
        out,
        '--audio',
        '--law',
        'pcmu',
        '--ident',
        'CLI RX',
      ],
      (line) => {
        if (line.startsWith('receiving on')) listening();
      },
    );
    await ready;
    const sender = faxswitch([
      'fax',
      'send',
      doc,
      '--to',
      `127.0.0.1:${port}`,
      '--audio',
      '--law',
      'pcmu',
      '--first-page',
      '2',
    ]);
    const [sent, received] = await Promise.all([sender.exited, receiver.exited]);
    expect(sent.code, sent.output).toBe(0);
    expect(received.code, received.output).toBe(0);
    expect(sent.output).toMatch(/page 2 confirmed by the far end/);
    expect(sent.output).toMatch(/remote "CLI RX"/);
    const summary = JSON.parse(received.output.trim().split('\n').at(-1)!) as {
      ok: boolean;
      pages: number;
      ecm: boolean;
    };
    expect(summary).toMatchObject({ ok: true, pages: 1, ecm: true });
    expect(bitmapsEqual(tiffPage(out, 1), tiffPage(doc, 2))).toBe(true);
  });

  it('refuses bad arguments with the usage text and exit code 2', async () => {
    const { exited } = faxswitch(['fax', 'send', 'x.tif', '--to', 'nowhere']);
    const result = await exited;
    expect(result.code).toBe(2);
    expect(result.output).toMatch(/--to needs host:port/);
    expect(result.output).toMatch(/usage: faxswitch fax send/);
  });
});
