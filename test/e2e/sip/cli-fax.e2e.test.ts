// A real fax end to end through the CLI: `faxswitch fax receive --sip-listen` and `faxswitch fax
// send --to sip:…` as two processes, each with its own embedded SIP server, over loopback SIP; the
// call starts on G.711, the receiver re-INVITEs to T.38, SpanDSP sends a 2-page document over
// UDPTL. The TIFF the receiver writes must hold the sent pages pixel for pixel. A call to a DID the
// receiver does not answer must come back as the SIP 404 with a non-zero exit.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bitmapsEqual, readTiff } from '../../../src/documents/index.ts';
import { findFreePort } from '../../../src/local-services/index.ts';
import { faxswitch, type CliRun } from '../../helpers/cli.ts';
import { faxDocument, tiffPage } from '../../helpers/fax-documents.ts';
import { makeTempDir } from '../../helpers/index.ts';

const NUMBER = '+49301234567';

/** Starts `fax receive --sip-listen` on a free loopback port; resolves once it listens. */
async function startReceiver(out: string, extra: string[] = []): Promise<{ run: CliRun; port: number }> {
  const port = await findFreePort('127.0.0.1');
  let listening!: () => void;
  const ready = new Promise<void>((resolve) => (listening = resolve));
  const run = faxswitch(
    ['fax', 'receive', '--sip-listen', `127.0.0.1:${port}`, '--out', out, '--timeout', '80', ...extra],
    (line) => {
      if (line.startsWith('listening for SIP')) listening();
    },
  );
  await Promise.race([
    ready,
    run.exited.then(({ output }) => Promise.reject(new Error(`receiver exited early:\n${output}`))),
  ]);
  return { run, port };
}

describe('faxswitch fax send → SIP + T.38 → faxswitch fax receive', () => {
  const dir = makeTempDir('faxswitch-cli-sip-');

  it('delivers a 2-page document pixel for pixel', { timeout: 90_000 }, async () => {
    const doc = faxDocument('standard', 2);
    const out = path.join(dir, 'received.tif');
    const receiver = await startReceiver(out, ['--ident', 'CLI SIP RX']);
    const sender = faxswitch([
      'fax',
      'send',
      doc,
      '--to',
      `sip:${NUMBER}@127.0.0.1:${receiver.port}`,
      '--t38',
      '--caller',
      '+4940999',
      '--ident',
      'CLI SIP TX',
    ]);
    const [sent, received] = await Promise.all([sender.exited, receiver.run.exited]);
    expect(sent.code, sent.output).toBe(0);
    expect(received.code, received.output).toBe(0);
    expect(sent.output).toMatch(/page 2 confirmed by the far end/);
    expect(sent.output).toMatch(/remote "CLI SIP RX"/);
    expect(received.output).toContain(`call from +4940999 to ${NUMBER}`);
    const summary = JSON.parse(received.output.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(summary).toMatchObject({ ok: true, pages: 2, ecm: true, media: 't38', remoteIdent: 'CLI SIP TX' });

    const pages = readTiff(readFileSync(out));
    expect(pages).toHaveLength(2);
    for (const [index, page] of pages.entries())
      expect(bitmapsEqual(page, tiffPage(doc, index + 1))).toBe(true);
  });

  it('reports the SIP 404 when the receiver answers another number', { timeout: 30_000 }, async () => {
    const receiver = await startReceiver(path.join(dir, 'never.tif'), ['--did', '+49999']);
    try {
      const sent = await faxswitch([
        'fax',
        'send',
        faxDocument('standard', 2),
        '--to',
        `sip:${NUMBER}@127.0.0.1:${receiver.port}`,
      ]).exited;
      expect(sent.code, sent.output).toBe(3);
      expect(sent.output).toMatch(/call failed: bad number: SIP 404 Not Found \(SIP 404, BadNumberError\)/);
      expect(sent.output).not.toMatch(/answered/);
    } finally {
      receiver.run.child.kill();
      const received = await receiver.run.exited;
      expect(received.output).not.toMatch(/call from/);
    }
  });
});
