// Email2Fax when the node that owns a job dies (kill -9) in the middle of its call, with `faxswitch
// start` nodes sharing Redis, NATS and the archive, and a far end (SpanDSP behind its own SIP stack)
// as the carrier and fax machine. Jobs are submitted with `faxswitch outbound submit` while only the
// victim runs, so it owns the job and executes its call; its peer starts while the call is up.
//   - killed while sending, after page 1 of 4 was confirmed: the peer takes the job over, dials
//     again within 3 s plus set-up, and sends the pages not yet confirmed after a continuation
//     cover page — the far end holds each page exactly once;
//   - killed while dialing (the far end slow to answer): the peer dials again within 3 s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bitmapsEqual } from '../../../src/documents/index.ts';
import { FarEnd, type Offer } from '../../helpers/far-end.ts';
import { faxPdf, pdfPagesByPoppler } from '../../helpers/fax-documents.ts';
import { startFaxCluster, startFaxNode, type FaxCluster, type FaxNode } from '../../helpers/fax-node.ts';
import { runFaxswitch, startSmtpSink, waitFor, type SmtpSink } from '../../helpers/index.ts';

/** Takeover (≤ 3 s) plus our side's set-up before the INVITE leaves: pages, media, SIP. */
const RESUME_LIMIT_MS = 3_000 + 1_000;

describe('Email2Fax survives kill -9 of the node that owns a job', () => {
  let farEnd: FarEnd;
  let mail: SmtpSink;
  let cluster: FaxCluster;
  const nodes: FaxNode[] = [];
  let nodeEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    farEnd = await FarEnd.open({ mediaPorts: { min: 33_000, max: 33_999 } });
    mail = await startSmtpSink();
    cluster = await startFaxCluster(mail);
    nodeEnv = {
      FAXSWITCH_SIP_TRUNKS: JSON.stringify([
        // A slow answer must not look like a dead carrier here (set-up timer well above it).
        { name: 'carrier', proxy: farEnd.proxy, maxChannels: 8, setupTimeoutMs: 30_000 },
      ]),
      FAXSWITCH_FAX_RESOLUTION: 'standard',
    };
    const env = { ...process.env, ...cluster.env };
    for (const command of [
      ['account', 'add', 'acme', '--name', 'ACME GmbH', '--caller-id', '+4930555000'],
      ['account', 'passwd', 'acme', 'alice@acme.example', '--password', 'alice-password-1'],
    ]) {
      const ran = await runFaxswitch(command, env);
      expect(ran.code, ran.stderr).toBe(0);
    }
  });

  afterAll(async () => {
    for (const node of nodes) node.child.kill('SIGKILL');
    await cluster?.dispose();
    await mail?.close();
    await farEnd?.close();
  });

  async function startNode(name: string): Promise<FaxNode> {
    const node = await startFaxNode(cluster, name, nodeEnv);
    nodes.push(node);
    return node;
  }

  async function submit(node: FaxNode, to: string, pdf: string): Promise<string> {
    const ran = await runFaxswitch(
      ['outbound', 'submit', pdf, '--to', to, '--account', 'acme', '--subject', `to ${to}`],
      node.env,
    );
    expect(ran.code, ran.stderr).toBe(0);
    return ran.stdout.trim().split('\n').at(-1)!;
  }

  async function killed(node: FaxNode): Promise<number> {
    node.child.kill('SIGKILL');
    const at = Date.now();
    await waitFor(() => node.child.exitCode !== null || node.child.signalCode !== null, {
      what: 'the node gone',
    });
    return at;
  }

  function offersTo(did: string, after = 0): Offer[] {
    return farEnd.offers.filter((offer) => offer.did === did && offer.at >= after);
  }

  /** The first INVITE to `did` after `killedAt`, and how long after it came. */
  async function redialAfter(did: string, killedAt: number): Promise<{ offer: Offer; resumeMs: number }> {
    const offer = await waitFor(() => offersTo(did, killedAt)[0], {
      timeoutMs: 15_000,
      what: `an INVITE to ${did} after the kill`,
    });
    return { offer, resumeMs: offer.at - killedAt };
  }

  async function reportOf(jobId: string) {
    return waitFor(() => mail.received.find((m) => m.parsed.headers.get('x-fax-job') === jobId), {
      timeoutMs: 180_000,
      what: `the report of ${jobId}`,
    });
  }

  it(
    'resumes a call cut off after page 1 of 4 on a peer, from page 2 after a continuation cover page',
    { timeout: 360_000 },
    async ({ annotate }) => {
      const destination = '+49301234701';
      const victim = await startNode('fax-a');
      const pdf = faxPdf(4);
      const jobId = await submit(victim, '030-1234701', pdf);

      await waitFor(
        () => /"page":1,[^\n]*"msg":"outbound page confirmed and recorded"/.test(victim.output()),
        {
          timeoutMs: 120_000,
          intervalMs: 20,
          what: 'page 1 confirmed on the owning node',
        },
      );
      const peer = await startNode('fax-b');
      const killedAt = await killed(victim);

      const { offer: resumedOffer, resumeMs } = await redialAfter(destination, killedAt);
      expect(resumeMs).toBeLessThan(RESUME_LIMIT_MS);
      expect(resumedOffer.headers['x-fax-job']).toMatch(new RegExp(`^${jobId};attempt=\\d+;epoch=\\d+$`));

      const report = await reportOf(jobId);
      expect(report.parsed.headers.get('x-fax-pages')).toBe('4/4');
      expect(report.parsed.subject).toMatch(/was delivered/);
      const proof = pdfPagesByPoppler(
        report.parsed.attachments.find((a) => a.contentType === 'application/pdf')!.content,
        'standard',
      );

      // The far end: the cut-off call's confirmed pages, then the resumed call's continuation
      // cover page and the rest; every document page exactly once. (The cut-off call is still
      // waiting out its T.30 timers: its caller vanished without a word.)
      const resumed = await waitFor(
        () => farEnd.faxes.find((fax) => fax.did === destination && fax.outcome?.result.ok),
        { timeoutMs: 60_000, what: 'the resumed fax to end' },
      );
      const calls = farEnd.callsTo(destination);
      expect(calls).toHaveLength(2);
      const cut = calls.find((call) => call !== resumed)!;
      const confirmedBefore = cut.pages.length;
      expect(confirmedBefore).toBeGreaterThanOrEqual(1);
      expect(resumed.pages).toHaveLength(1 + 4 - confirmedBefore);
      expect(proof.some((page) => bitmapsEqual(page, resumed.pages[0]!))).toBe(false); // the cover
      const delivered = [...cut.pages, ...resumed.pages.slice(1)];
      expect(delivered).toHaveLength(4);
      delivered.forEach((page, index) =>
        expect(bitmapsEqual(page, proof[index]!), `page ${index + 1}`).toBe(true),
      );

      const shown = JSON.parse((await runFaxswitch(['outbound', 'show', jobId], peer.env)).stdout) as {
        status: string;
        owner: string | undefined;
        calls: { fromPage: number; node: string; outcome: { kind: string } }[];
      };
      expect(shown.status).toBe('sent');
      // The dead node's work item came back after AckWait, published under the old epoch: dropped.
      expect(peer.output()).toMatch(/"msg":"dropping call work of an earlier owner of the job"/);
      expect(shown.calls.at(-1)).toMatchObject({
        fromPage: confirmedBefore + 1,
        node: 'fax-b',
        outcome: { kind: 'completed' },
      });
      await annotate(`redialled ${resumeMs} ms after kill -9, from page ${confirmedBefore + 1}`);
    },
  );

  it(
    'resumes a job whose node died while dialing: the peer dials again within 3 s',
    { timeout: 360_000 },
    async ({ annotate }) => {
      const destination = '+49301234702';
      const victim = nodes.at(-1)!; // fax-b, now the only node: it owns and dials the next job
      let slow = true;
      farEnd.behave((offer) => {
        if (offer.did !== destination || !slow) return {};
        slow = false;
        return { answerAfterMs: 12_000 };
      });
      const jobId = await submit(victim, '030-1234702', faxPdf(1));
      await waitFor(() => offersTo(destination).length === 1, {
        timeoutMs: 60_000,
        what: 'the first INVITE',
      });
      await startNode('fax-c');
      expect(offersTo(destination)).toHaveLength(1); // still dialing: no answer yet
      const killedAt = await killed(victim);

      const { resumeMs } = await redialAfter(destination, killedAt);
      expect(resumeMs).toBeLessThan(RESUME_LIMIT_MS);

      const report = await reportOf(jobId);
      expect(report.parsed.headers.get('x-fax-pages')).toBe('1/1');
      const delivered = await waitFor(
        () => farEnd.faxes.find((fax) => fax.did === destination && fax.outcome?.result.ok),
        { timeoutMs: 60_000, what: 'the redialled fax to end' },
      );
      expect(delivered.pages).toHaveLength(1);
      // The call the dead node placed was answered late, into silence: it confirms nothing.
      expect(farEnd.callsTo(destination).flatMap((call) => call.pages)).toHaveLength(1);
      await annotate(`redialled ${resumeMs} ms after kill -9`);
    },
  );
});
