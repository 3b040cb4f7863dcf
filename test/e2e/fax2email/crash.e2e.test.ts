// Fax2Email when a node dies (kill -9), two `faxswitch start` nodes sharing Redis, NATS and the
// archive. A node killed after storing page 2 of a 4-page fax: its peer takes the call's actor over,
// finds the call gone with its node, and delivers one email with the 2 stored pages, marked partial.
// A node killed while the mail server is still taking its email (the reply held back): the peer
// resumes the delivery and exactly one email arrives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bitmapsEqual } from '../../../src/documents/index.ts';
import { faxswitch } from '../../helpers/cli.ts';
import { faxDocument, pdfPagesByPoppler, tiffPage } from '../../helpers/fax-documents.ts';
import { startFaxCluster, startFaxNode, type FaxCluster, type FaxNode } from '../../helpers/fax-node.ts';
import { runFaxswitch, startSmtpSink, waitFor, type SmtpSink } from '../../helpers/index.ts';

const NUMBER = '+4930555020';

describe('Fax2Email survives kill -9 of a node', () => {
  let mail: SmtpSink;
  let cluster: FaxCluster;
  const nodes: FaxNode[] = [];
  /** While set, the mail server holds its reply to the next message until this settles. */
  let holdNext: Promise<void> | undefined;

  beforeAll(async () => {
    mail = await startSmtpSink({
      holdReply: () => {
        const hold = holdNext;
        holdNext = undefined;
        return hold;
      },
    });
    cluster = await startFaxCluster(mail);
    nodes.push(await startFaxNode(cluster, 'fax-a'), await startFaxNode(cluster, 'fax-b'));
    const added = await runFaxswitch(
      ['did', 'add', NUMBER, '--account', 'acme', '--email', 'office@acme.example'],
      cluster.env,
    );
    expect(added.code, added.stderr).toBe(0);
  });

  afterAll(async () => {
    for (const node of nodes) node.child.kill('SIGKILL');
    await cluster?.dispose();
    await mail?.close();
  });

  it(
    'delivers the 2 stored pages of a 4-page fax as partial after its node dies',
    { timeout: 150_000 },
    async () => {
      const [receiver] = nodes;
      const document = faxDocument('standard', 4);
      const sender = faxswitch([
        'fax',
        'send',
        document,
        '--to',
        receiver!.sipUri(NUMBER),
        '--t38',
        '--caller',
        '+4940111',
      ]);
      await waitFor(() => /"page":2,[^\n]*"msg":"page stored"/.test(receiver!.output()), {
        timeoutMs: 100_000,
        intervalMs: 20,
        what: 'page 2 stored on the receiving node',
      });
      receiver!.child.kill('SIGKILL');

      const [email] = await mail.waitForMessages(1, 30_000);
      expect(email!.parsed.subject).toBe(`Fax from +4940111 to ${NUMBER}: 2 page(s), partial`);
      expect(email!.parsed.text).toMatch(/cut off when the receiving node failed/);
      const pdf = email!.parsed.attachments.find((a) => a.contentType === 'application/pdf');
      const pages = pdfPagesByPoppler(pdf!.content, 'standard');
      expect(pages).toHaveLength(2);
      pages.forEach((page, index) => expect(bitmapsEqual(page, tiffPage(document, index + 1))).toBe(true));

      // The caller's fax machine would time out on its own; we need not wait for that.
      sender.child.kill();
      await sender.exited;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(mail.received).toHaveLength(1);
    },
  );

  it(
    'sends exactly one email when the node dies while the mail server takes it',
    { timeout: 150_000 },
    async () => {
      nodes.push(await startFaxNode(cluster, 'fax-c'));
      const receiver = nodes[2]!;
      const before = mail.received.length;
      let release!: () => void;
      holdNext = new Promise<void>((resolve) => (release = resolve));
      const document = faxDocument('standard', 1);
      const sent = await faxswitch(['fax', 'send', document, '--to', receiver.sipUri(NUMBER), '--t38'])
        .exited;
      expect(sent.code, `${sent.output}\n--- node log ---\n${receiver.output().slice(-8_000)}`).toBe(0);

      await waitFor(() => mail.held === 1, { timeoutMs: 30_000, what: 'the email held at the mail server' });
      receiver.child.kill('SIGKILL');
      await waitFor(() => receiver.child.signalCode !== null || receiver.child.exitCode !== null, {
        timeoutMs: 5_000,
        what: 'the node to be gone',
      });
      release();

      const messages = await mail.waitForMessages(before + 1, 30_000);
      expect(mail.abandoned).toBe(1);
      const email = messages[before]!;
      expect(email.parsed.subject).toMatch(/1 page\(s\), complete$/);
      // Given time for any duplicate to show up, none does.
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      expect(mail.received).toHaveLength(before + 1);
    },
  );
});
