// Fax2Email end to end, with nothing played: a `faxswitch start` node (embedded SIP server, real
// Redis and NATS), a number registered with `faxswitch did add`, a real fax machine calling it
// (`faxswitch fax send`: SpanDSP behind its own SIP stack), and a real SMTP server over STARTTLS as
// the customer's mail server. The email that arrives carries the fax as a PDF whose pages, drawn by
// poppler, equal the pages sent — over T.38, and over G.711 audio. An unknown or disabled number is
// refused with the configured SIP status and no email is sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bitmapsEqual } from '../../../src/documents/index.ts';
import { faxswitch } from '../../helpers/cli.ts';
import { faxDocument, pdfPagesByPoppler, tiffPage } from '../../helpers/fax-documents.ts';
import { startFaxCluster, startFaxNode, type FaxCluster, type FaxNode } from '../../helpers/fax-node.ts';
import { runFaxswitch, startSmtpSink, type SmtpSink } from '../../helpers/index.ts';

const NUMBER = '+4930555010';
const DISABLED = '+4930555099';

describe('Fax2Email: a fax to a registered number arrives as an email', () => {
  let mail: SmtpSink;
  let cluster: FaxCluster;
  let node: FaxNode;

  beforeAll(async () => {
    mail = await startSmtpSink();
    cluster = await startFaxCluster(mail);
    // One call at a time: each fax below must find the node free again once the one before ended.
    node = await startFaxNode(cluster, 'fax-a', { FAXSWITCH_MAX_CHANNELS: '1' });
    for (const [number, extra] of [
      [NUMBER, []],
      [DISABLED, ['--inactive']],
    ] as const) {
      const added = await runFaxswitch(
        [
          'did',
          'add',
          number,
          '--account',
          'acme',
          '--email',
          'office@acme.example',
          '--csid',
          '+49 30 555010',
          ...extra,
        ],
        node.env,
      );
      expect(added.code, added.stderr).toBe(0);
    }
  });

  afterAll(async () => {
    node?.child.kill('SIGKILL');
    await cluster?.dispose();
    await mail?.close();
  });

  for (const media of ['t38', 'audio'] as const) {
    it(`delivers one email whose PDF holds the pages sent (${media})`, { timeout: 150_000 }, async () => {
      const before = mail.received.length;
      const document = faxDocument('standard', 2);
      const sent = await faxswitch([
        'fax',
        'send',
        document,
        '--to',
        node.sipUri(NUMBER),
        `--${media}`,
        '--caller',
        '+4940123456',
        '--ident',
        'SENDER 1',
      ]).exited;
      // On failure, what the node said too.
      expect(sent.code, `${sent.output}\n--- node log ---\n${node.output().slice(-8_000)}`).toBe(0);
      expect(sent.output).toMatch(/remote "\+49 30 555010"/);

      const [email] = (await mail.waitForMessages(before + 1, 60_000)).slice(before);
      expect(email!.secure).toBe(true);
      expect(email!.envelopeTo).toEqual(['office@acme.example']);
      const parsed = email!.parsed;
      expect(parsed.subject).toBe(`Fax from +4940123456 to ${NUMBER}: 2 page(s), complete`);
      expect(parsed.messageId).toMatch(/^<fax-in-[0-9a-z]+-[0-9a-f]+@fax\.example\.net>$/);
      expect(parsed.text).toContain('station id "SENDER 1"');
      const pdf = parsed.attachments.find((a) => a.contentType === 'application/pdf');
      expect(pdf?.filename).toMatch(/^fax-4930555010-\d{8}T\d{6}\.pdf$/);
      expect(parsed.attachments.some((a) => a.contentType === 'image/png' && a.cid === 'page1')).toBe(true);
      const pages = pdfPagesByPoppler(pdf!.content, 'standard');
      expect(pages).toHaveLength(2);
      pages.forEach((page, index) => expect(bitmapsEqual(page, tiffPage(document, index + 1))).toBe(true));

      // The operator's view of the same fax.
      const listed = await runFaxswitch(['inbound', 'list', '--json'], node.env);
      const records = JSON.parse(listed.stdout) as { did: string; status: string; pages: number }[];
      expect(records[0]).toMatchObject({ did: NUMBER, status: 'delivered', pages: 2 });
    });
  }

  it(
    'refuses calls to unknown and disabled numbers with 404 and sends no email',
    { timeout: 60_000 },
    async () => {
      const before = mail.received.length;
      for (const number of ['+4930555077', DISABLED]) {
        const sent = await faxswitch(['fax', 'send', faxDocument('standard', 1), '--to', node.sipUri(number)])
          .exited;
        expect(sent.code, sent.output).toBe(3);
        expect(sent.output).toMatch(/SIP 404/);
      }
      const metrics = await (await fetch(`${node.httpUrl}/metrics`)).text();
      expect(metrics).toMatch(/faxswitch_inbound_calls_total\{result="refused_unknown_did"[^}]*\} 2\b/);
      expect(mail.received.length).toBe(before);
    },
  );
});
