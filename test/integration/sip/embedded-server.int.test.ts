// The embedded server's own promises, beyond the shared call flows: the outbound-connection mode
// (server dials the app), trunk failover, SIP over TCP, and hostile input — malformed SIP gets 400,
// oversize messages are dropped, a flood is rate-limited, random bytes never crash it.
import dgram from 'node:dgram';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import Srf from 'drachtio-srf';
import { afterEach, describe, expect, it } from 'vitest';
import {
  SrfSignalling,
  startSipNode,
  type CallSession,
  type EmbeddedDrachtioServer,
} from '../../../src/sip/index.ts';
import { localhostCertificate, waitFor } from '../../helpers/index.ts';
import {
  audioSdp,
  inboundPolicy,
  quietLogger,
  startSignalling,
  trunk,
  type SipTarget,
  type EmbeddedTargetOptions,
  startEmbeddedTarget,
} from './sip-harness.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function target(
  options: EmbeddedTargetOptions = {},
): Promise<SipTarget & { embedded: EmbeddedDrachtioServer }> {
  const started = await startEmbeddedTarget(options);
  cleanups.push(() => started.close());
  return started;
}

function answerEverything(signalling: SrfSignalling, sessions: CallSession[]): void {
  signalling.onInbound({
    offer: () => Promise.resolve({ kind: 'answer', sdp: audioSdp(30_000, 1, 3000) }),
    answered: (session) => sessions.push(session),
  });
}

/** Sends raw datagrams from one UDP socket and collects what comes back. */
async function udpPeer(): Promise<{
  send(text: string | Buffer, port: number): void;
  replies: string[];
  port: number;
  close(): void;
}> {
  const socket = dgram.createSocket('udp4');
  const replies: string[] = [];
  socket.on('message', (data) => replies.push(data.toString('utf8')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    send: (text, port) => socket.send(typeof text === 'string' ? Buffer.from(text) : text, port, '127.0.0.1'),
    replies,
    port: socket.address().port,
    close: () => socket.close(),
  };
}

function options(peerPort: number, callId: string, extra = ''): string {
  return [
    'OPTIONS sip:probe@127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:${peerPort};branch=z9hG4bK-${callId}`,
    'From: <sip:probe@127.0.0.1>;tag=p1',
    'To: <sip:probe@127.0.0.1>',
    `Call-ID: ${callId}`,
    'CSeq: 1 OPTIONS',
    'Max-Forwards: 70',
    extra,
    'Content-Length: 0',
    '',
    '',
  ]
    .filter((line, index, all) => line !== '' || index >= all.length - 2)
    .join('\r\n');
}

describe('embedded drachtio server', () => {
  it('connects out to an app that listens (srf.listen) and routes calls to it', async () => {
    const server = await target();
    const callee = await SrfSignalling.start({
      connection: { mode: 'listen', host: '127.0.0.1', port: 0, secret: server.secret },
      trunks: [],
      inbound: inboundPolicy(),
      logger: quietLogger(),
    });
    cleanups.push(() => callee.close());
    const sessions: CallSession[] = [];
    answerEverything(callee, sessions);
    await server.embedded.connectToApp('127.0.0.1', callee.listenPort ?? 0);
    await callee.connected;

    // The caller is a bare srf in connect mode that routes no verbs, so the INVITE it sends
    // through the server can only go to the listening app.
    const caller = new Srf();
    void caller.connect({ host: server.controlHost, port: server.controlPort, secret: server.secret });
    await once(caller, 'connect');
    cleanups.push(() => Promise.resolve(caller.disconnect()));
    const dialog = await caller.createUAC(`sip:4940123456@127.0.0.1:${server.sipPort}`, {
      localSdp: audioSdp(10_000),
    });
    expect(dialog.remote.sdp).toContain('m=audio 30000');
    const answered = await waitFor(() => sessions[0], { what: 'the listening app to answer' });
    await new Promise((resolve) => dialog.destroy(undefined, resolve));
    await waitFor(() => answered.ended, { what: 'BYE at the listening app' });
  });

  it('fails over to the next trunk when one does not answer, and counts channels', async () => {
    const server = await target();
    const silent = await udpPeer(); // takes INVITEs, never answers
    cleanups.push(() => Promise.resolve(silent.close()));
    const signalling = await startSignalling(server, {
      trunks: [
        trunk({ name: 'dead', proxy: `127.0.0.1:${silent.port}`, setupTimeoutMs: 300 }),
        trunk({ name: 'good', proxy: `127.0.0.1:${server.sipPort}`, maxChannels: 1 }),
      ],
    });
    cleanups.push(() => signalling.close());
    const sessions: CallSession[] = [];
    answerEverything(signalling, sessions);
    const call = await signalling.dial({
      to: '4940123456',
      callerId: { number: '1' },
      sdp: audioSdp(10_000),
    });
    expect(call.trunk).toBe('good');
    expect(silent.replies.some((message) => message.startsWith('INVITE '))).toBe(true);
    expect(signalling.trunkChannelsInUse('good')).toBe(1);
    await call.hangup();
    expect(signalling.trunkChannelsInUse('good')).toBe(0);
  });

  it('carries a call over SIP/TCP', async () => {
    const server = await target();
    const signalling = await startSignalling(server, {
      trunks: [trunk({ name: 'tcp', proxy: `sip:127.0.0.1:${server.embedded.sipTcpPort};transport=tcp` })],
    });
    cleanups.push(() => signalling.close());
    const sessions: CallSession[] = [];
    answerEverything(signalling, sessions);
    const call = await signalling.dial({
      to: '4940123456',
      callerId: { number: '1' },
      sdp: audioSdp(10_000),
    });
    const answered = await waitFor(() => sessions[0]);
    expect(answered.remoteSdp).toContain('m=audio 10000');
    await call.hangup();
    await waitFor(() => answered.ended);
  });

  it('carries a call over SIP/TLS, verifying the peer certificate', async () => {
    const pem = localhostCertificate(); // valid for localhost and 127.0.0.1
    const server = await target({ tls: { port: 0, ...pem, ca: pem.cert } });
    const tlsPort = server.embedded.sipTlsPort ?? 0;
    const signalling = await startSignalling(server, {
      trunks: [trunk({ name: 'tls', proxy: `sip:127.0.0.1:${tlsPort};transport=tls` })],
    });
    cleanups.push(() => signalling.close());
    const sessions: CallSession[] = [];
    answerEverything(signalling, sessions);
    const call = await signalling.dial({
      to: '4940123456',
      callerId: { number: '1' },
      sdp: audioSdp(10_000),
    });
    const answered = await waitFor(() => sessions[0]);
    expect(answered.remoteSdp).toContain('m=audio 10000');
    await call.hangup();
    await waitFor(() => answered.ended);
  });

  it('startSipNode runs its own embedded server or joins an external one', async () => {
    const own = await startSipNode({
      drachtio: { kind: 'embedded', server: { secret: 's' } },
      trunks: [],
      inbound: inboundPolicy(),
      logger: quietLogger(),
    });
    cleanups.push(() => own.close());
    const external = await startSipNode({
      drachtio: {
        kind: 'external',
        host: own.embedded?.host ?? '',
        port: own.embedded?.controlPort ?? 0,
        secret: 's',
      },
      trunks: [trunk({ name: 't', proxy: `127.0.0.1:${own.embedded?.sipUdpPort ?? 0}` })],
      inbound: inboundPolicy(),
      logger: quietLogger(),
    });
    cleanups.push(() => external.close());
    expect(external.embedded).toBeUndefined();
    const sessions: CallSession[] = [];
    // Both apps route INVITE; whichever the server picks answers.
    answerEverything(own.signalling, sessions);
    answerEverything(external.signalling, sessions);
    const call = await external.signalling.dial({
      to: '4940123456',
      callerId: { number: '1' },
      sdp: audioSdp(10_000),
    });
    expect(call.remoteSdp).toContain('m=audio 30000');
    await call.hangup();
  });

  it('ends calls with transport-lost when the drachtio connection drops', async () => {
    const server = await target();
    const signalling = await startSignalling(server, {
      trunks: [trunk({ name: 't', proxy: `127.0.0.1:${server.sipPort}` })],
    });
    cleanups.push(() => signalling.close());
    const sessions: CallSession[] = [];
    answerEverything(signalling, sessions);
    const call = await signalling.dial({
      to: '4940123456',
      callerId: { number: '1' },
      sdp: audioSdp(10_000),
    });
    const reasons: string[] = [];
    call.onEnded((reason) => reasons.push(reason));
    await waitFor(() => sessions[0]);
    await server.close();
    await waitFor(() => reasons[0], { what: 'the call to end' });
    expect(reasons).toEqual(['transport-lost']);
    expect(sessions[0]?.ended).toBe(true);
    expect(signalling.activeCalls).toBe(0);
  });

  it('answers an authenticated app’s nonsense with NOK and stays up', async () => {
    const server = await target();
    const socket = net.connect(server.controlPort, '127.0.0.1');
    let replies = '';
    socket.on('data', (chunk: Buffer) => (replies += chunk.toString()));
    const frame = (text: string): string => `${Buffer.byteLength(text)}#${text}`;
    socket.write(frame(`a1|authenticate|${server.secret}|`));
    await waitFor(() => replies.includes('a1|OK'), { what: 'authentication' });
    socket.write(frame('b1|sip|||\r\nthis is not SIP'));
    socket.write(frame('b2|sip|no-such-txn|\r\nSIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n'));
    socket.write(frame('b3|sip||no-such-dialog\r\nBYE sip:x@127.0.0.1 SIP/2.0\r\nContent-Length: 0\r\n\r\n'));
    socket.write(frame('b4|proxy|whatever'));
    socket.write(frame('b5|sip|||\r\nINVITE sip:1@ SIP/2.0\r\nContent-Length: 0\r\n\r\n'));
    await waitFor(() => ['b1', 'b2', 'b3', 'b4', 'b5'].every((id) => replies.includes(`${id}|NOK`)), {
      what: 'a NOK for each',
    });
    expect(replies).toContain('unable to find dialog');
    socket.end();
    const peer = await udpPeer();
    cleanups.push(() => Promise.resolve(peer.close()));
    peer.send(options(peer.port, 'still-up'), server.sipPort);
    await waitFor(() => peer.replies.find((r) => r.includes('still-up')), { what: 'the server to answer' });
  });

  it('answers OPTIONS, gives malformed requests a 400 and drops oversize datagrams', async () => {
    const server = await target();
    const peer = await udpPeer();
    cleanups.push(() => Promise.resolve(peer.close()));
    peer.send(options(peer.port, 'ok-1'), server.sipPort);
    await waitFor(() => peer.replies.find((r) => r.includes('Call-ID: ok-1')), { what: 'OPTIONS answer' });
    expect(peer.replies[0]).toMatch(/^SIP\/2\.0 200 /);

    peer.send(options(peer.port, 'bad-1').replace('CSeq: 1 OPTIONS', 'CSeq: one OPTIONS'), server.sipPort);
    const bad = await waitFor(() => peer.replies.find((r) => r.includes('Call-ID: bad-1')), {
      what: 'the 400',
    });
    expect(bad).toMatch(/^SIP\/2\.0 400 Bad Request/);

    peer.send(options(peer.port, 'big-1', `X-Padding: ${'a'.repeat(20_000)}`), server.sipPort);
    peer.send(options(peer.port, 'ok-2'), server.sipPort);
    await waitFor(() => peer.replies.find((r) => r.includes('Call-ID: ok-2')), {
      what: 'the OPTIONS after the oversize one',
    });
    expect(peer.replies.some((r) => r.includes('big-1'))).toBe(false);
    expect(server.embedded.stats.oversize).toBe(1);
  });

  it('refuses exhausted Max-Forwards (483) and required extensions (420) before any app sees them', async () => {
    const server = await target();
    const peer = await udpPeer();
    cleanups.push(() => Promise.resolve(peer.close()));
    peer.send(options(peer.port, 'hops').replace('Max-Forwards: 70', 'Max-Forwards: 0'), server.sipPort);
    peer.send(options(peer.port, 'prack', 'Require: timer, 100rel'), server.sipPort);
    const hops = await waitFor(() => peer.replies.find((r) => r.includes('Call-ID: hops')));
    const prack = await waitFor(() => peer.replies.find((r) => r.includes('Call-ID: prack')));
    expect(hops).toMatch(/^SIP\/2\.0 483 /);
    expect(prack).toMatch(/^SIP\/2\.0 420 /);
    expect(prack).toContain('Unsupported: 100rel');
  });

  it('rate-limits a flood from one source and keeps serving others', async () => {
    const server = await target({ rateLimit: { capacity: 20, ratePerSecond: 5 } });
    const flooder = await udpPeer();
    const polite = await udpPeer();
    cleanups.push(
      () => Promise.resolve(flooder.close()),
      () => Promise.resolve(polite.close()),
    );
    for (let i = 0; i < 200; i += 1) flooder.send(options(flooder.port, `flood-${i}`), server.sipPort);
    // Loopback UDP may drop part of a burst before the server reads it, so count loosely.
    await waitFor(() => server.embedded.stats.rateLimited >= 100, { what: 'the flood to be limited' });
    // The limit is per source address; loopback peers share 127.0.0.1, so wait for a token.
    await new Promise((resolve) => setTimeout(resolve, 400));
    polite.send(options(polite.port, 'polite-1'), server.sipPort);
    await waitFor(() => polite.replies.find((r) => r.includes('polite-1')), {
      what: 'an answer after the flood',
    });
    expect(flooder.replies.length).toBeLessThanOrEqual(25);
  });

  it('survives random and mutated input on UDP, TCP and the control port', async () => {
    const server = await target({ rateLimit: { capacity: 100_000, ratePerSecond: 100_000 } });
    const peer = await udpPeer();
    cleanups.push(() => Promise.resolve(peer.close()));
    const valid = options(peer.port, 'fuzz');
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 500; i += 1) {
      const bytes = Buffer.from(valid);
      for (let flips = 0; flips < 1 + Math.floor(random() * 8); flips += 1) {
        bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      }
      peer.send(i % 5 === 0 ? randomBytes(1 + Math.floor(random() * 1400)) : bytes, server.sipPort);
    }
    for (const port of [server.embedded.sipTcpPort, server.controlPort]) {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write(randomBytes(4096));
      socket.write('99999999999#garbage');
      socket.end();
    }
    // Resent until answered: the burst can overflow the loopback socket buffer.
    await waitFor(
      () => {
        peer.send(options(peer.port, 'after-fuzz'), server.sipPort);
        return peer.replies.find((r) => r.includes('Call-ID: after-fuzz'));
      },
      { what: 'an answer after fuzzing', intervalMs: 200 },
    );
    expect(server.embedded.stats.handlerErrors).toBe(0);
    expect(server.embedded.stats.malformed).toBeGreaterThan(0);
  });
});
