// The edge in front of two fax nodes: kamailio (k8s/edge/kamailio.cfg, the file Kubernetes uses)
// as a child process on loopback, two embedded-server + srf nodes behind it, and a third one as
// the carrier dialling through it. Checks: calls spread by DID hash and stick per DID; a killed
// node's share moves to the survivor; an INVITE with a stale X-Fax-Job epoch gets 403.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExecutable } from '../../../src/local-services/index.ts';
import { CallRefusedError, type SrfSignalling } from '../../../src/sip/index.ts';
import { makeTempDir, waitFor } from '../../helpers/index.ts';
import {
  audioSdp,
  startSignalling,
  startEmbeddedTarget,
  trunk,
  type SipTarget,
} from '../../integration/sip/sip-harness.ts';
import { freeUdpPort, waitForUdpListener } from './sipp.ts';

const EDGE_CONFIG = path.resolve(import.meta.dirname, '../../../k8s/edge/kamailio.cfg');

interface Node {
  readonly name: string;
  readonly target: SipTarget;
  readonly signalling: SrfSignalling;
}

async function startNode(name: string, answeredBy: Map<string, string>): Promise<Node> {
  const target = await startEmbeddedTarget();
  const signalling = await startSignalling(target, {
    inbound: { lookupDid: () => Promise.resolve('active') },
  });
  signalling.onInbound({
    offer: (offer) => {
      answeredBy.set(offer.callId, name);
      return Promise.resolve({ kind: 'answer', sdp: audioSdp(50_000) });
    },
    answered: () => undefined,
  });
  return { name, target, signalling };
}

describe('kamailio edge in front of two fax nodes', () => {
  const answeredBy = new Map<string, string>();
  const nodes: Node[] = [];
  let carrier: { target: SipTarget; signalling: SrfSignalling };
  let kamailio: ChildProcess;
  let edgeOutput = '';

  beforeAll(async () => {
    nodes.push(await startNode('a', answeredBy), await startNode('b', answeredBy));
    const dir = makeTempDir('edge-');
    const listFile = path.join(dir, 'dispatcher.list');
    await writeFile(listFile, nodes.map((node) => `1 sip:127.0.0.1:${node.target.sipPort}\n`).join(''));
    const port = await freeUdpPort();
    kamailio = spawn(
      findExecutable('kamailio', 'kamailio'),
      [
        '-DD',
        '-E',
        '-f',
        EDGE_CONFIG,
        '-Y',
        dir,
        '-w',
        dir,
        '-A',
        `LISTEN=udp:127.0.0.1:${port}`,
        '-A',
        `DISPATCHER_LIST="${listFile}"`,
        '-A',
        'PROBE_INTERVAL=1',
        '-A',
        'INVITE_TIMEOUT_MS=500',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    kamailio.stderr?.on(
      'data',
      (chunk: Buffer) => (edgeOutput = (edgeOutput + chunk.toString()).slice(-20_000)),
    );
    await waitForUdpListener(port);
    const target = await startEmbeddedTarget();
    const signalling = await startSignalling(target, {
      trunks: [
        trunk({ name: 'edge', proxy: `127.0.0.1:${port}`, setupTimeoutMs: 3000, callsPerSecond: 1000 }),
      ],
    });
    carrier = { target, signalling };
  });

  afterAll(async () => {
    kamailio.kill('SIGKILL');
    await carrier.signalling.close();
    await carrier.target.close();
    for (const node of nodes) {
      await node.signalling.close();
      await node.target.close();
    }
  });

  async function callNode(
    did: string,
    job?: { job: string; attempt: number; epoch: number },
  ): Promise<string> {
    const call = await carrier.signalling.dial({
      to: did,
      callerId: { number: '4930999' },
      sdp: audioSdp(10_000),
      ...(job === undefined ? {} : { job }),
    });
    const node = answeredBy.get(call.callId);
    await call.hangup();
    if (node === undefined) throw new Error(`no node answered ${call.callId}\n${edgeOutput}`);
    return node;
  }

  const dids = Array.from({ length: 16 }, (_, i) => `49401000${String(i).padStart(2, '0')}`);
  const owner = new Map<string, string>();

  it('spreads calls over both nodes by DID, and a DID keeps its node', async () => {
    for (const did of dids) owner.set(did, await callNode(did));
    const counts = [...owner.values()].reduce(
      (acc, node) => acc.set(node, (acc.get(node) ?? 0) + 1),
      new Map<string, number>(),
    );
    expect(counts.get('a') ?? 0).toBeGreaterThan(0);
    expect(counts.get('b') ?? 0).toBeGreaterThan(0);
    for (const did of dids.slice(0, 4)) expect(await callNode(did)).toBe(owner.get(did));
  });

  it('refuses an INVITE whose fax-job epoch is older than one already seen (403)', async () => {
    const did = dids[0] ?? '';
    expect(await callNode(did, { job: 'job-e', attempt: 1, epoch: 5 })).toBeDefined();
    const stale = await callNode(did, { job: 'job-e', attempt: 2, epoch: 4 }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(CallRefusedError);
    expect((stale as CallRefusedError).wire.sip).toBe(403);
    expect((stale as CallRefusedError).message).toContain('Stale Fax Job Epoch');
    // The current owner (same epoch, next attempt) and a newer owner still get through.
    expect(await callNode(did, { job: 'job-e', attempt: 2, epoch: 5 })).toBeDefined();
    expect(await callNode(did, { job: 'job-e', attempt: 1, epoch: 6 })).toBeDefined();
  });

  it('moves a killed node’s DIDs to the surviving node', async () => {
    const [a] = nodes;
    if (a === undefined) throw new Error('node a missing');
    await a.signalling.close();
    await a.target.close();
    const movedDids = dids.filter((did) => owner.get(did) === 'a');
    expect(movedDids.length).toBeGreaterThan(0);
    for (const did of movedDids) {
      expect(
        await waitFor(() => callNode(did).catch(() => undefined), {
          timeoutMs: 15_000,
          what: `a call to ${did}`,
        }),
      ).toBe('b');
    }
  });
});
