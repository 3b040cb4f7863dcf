// An embedded drachtio-compatible SIP server: speaks drachtio's wire protocol to drachtio-srf apps
// over TCP (apps connect to us, or we connect to apps that listen) and SIP to the network, with
// transactions and retransmissions from the `sip` package and the dialog layer here. It is the
// single-machine and test stand-in for drachtio-server. Limits: no proxying (`proxy` is refused),
// no CDR events, no Record-Route route sets (in-dialog requests go to the remote Contact), no
// PRACK/100rel.
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import sip, { type ClientTransaction, type NameAddr, type ServerTransaction, type SipMessage } from 'sip';
import {
  FrameDecoder,
  FramingError,
  encodeFrame,
  parseWireMessage,
  wireMessage,
  type WireMessage,
} from './framing.ts';
import { SipNetwork, type Remote, type NetworkStats, type SipProtocol, type TlsOptions } from './network.ts';
import {
  contactFor,
  copyAppHeaders,
  dialogIdOf,
  formatHost,
  newBranch,
  newTag,
  resolveTarget,
  tagOf,
  uriOf,
} from './sip-helpers.ts';

export interface EmbeddedServerOptions {
  /** Address for SIP and the control port; loopback by default. */
  readonly host?: string;
  readonly secret: string;
  /** Control port apps connect to (srf.connect); 0 picks a free one. */
  readonly controlPort?: number;
  readonly sipUdpPort?: number;
  readonly sipTcpPort?: number;
  /** SIP over TLS; peers we connect to are verified against `ca` (or the system's CAs). */
  readonly tls?: TlsOptions;
  readonly maxSipMessageBytes?: number;
  /** Per source address: burst and sustained messages per second. */
  readonly rateLimit?: { readonly capacity: number; readonly ratePerSecond: number };
  /** Reported, never thrown: failures in handling one message. */
  readonly onError?: (error: unknown) => void;
}

const SERVER_VERSION = 'v0.9.4-faxswitch-embedded';
const MAX_FRAME_BYTES = 256 * 1024;
const T1_MS = 500;
const T2_MS = 4000;
const TIMER_H_MS = 64 * T1_MS;

interface AppConnection {
  readonly id: string;
  readonly socket: net.Socket;
  authenticated: boolean;
  /** Apps we dialled (srf.listen) take every new request; the others only their routed verbs. */
  readonly outbound: boolean;
}

interface InboundTxn {
  readonly request: SipMessage;
  readonly remote: Remote;
  readonly txn: ServerTransaction;
  readonly app: AppConnection;
  /** To tag we answer with, fixed per transaction. */
  readonly localTag: string;
  final: boolean;
  dialogId: string;
}

interface OutboundTxn {
  readonly request: SipMessage;
  readonly remote: Remote;
  readonly txn: ClientTransaction;
  readonly app: AppConnection;
  dialogId: string;
}

interface Dialog {
  readonly id: string;
  readonly app: AppConnection;
  readonly callId: string;
  readonly local: NameAddr;
  readonly remote: NameAddr;
  remoteTarget: string;
  /** The flow used to reach the peer when its Contact cannot be resolved. */
  readonly flow: Remote;
  localSeq: number;
  /** CSeq of our latest INVITE, which ACKs reuse. */
  inviteSeq: number;
  lastAck?: { seq: number; text: string; remote: Remote };
  /** Our 2xx to the peer's INVITE, resent until the ACK arrives (RFC 3261 13.3.1.4). */
  retransmit2xx?: NodeJS.Timeout;
}

export interface EmbeddedServerStats extends NetworkStats {
  handlerErrors: number;
}

export class EmbeddedDrachtioServer {
  readonly #options: EmbeddedServerOptions;
  readonly #host: string;
  readonly #network: SipNetwork;
  readonly #control: net.Server;
  readonly #transactions = sip.makeTransactionLayer({}, undefined);
  readonly #apps = new Map<net.Socket, AppConnection>();
  readonly #routes = new Map<string, AppConnection[]>();
  readonly #roundRobin = new Map<string, number>();
  readonly #inbound = new Map<string, InboundTxn>();
  readonly #inboundInvites = new Map<string, string>();
  readonly #outbound = new Map<string, OutboundTxn>();
  readonly #dialogs = new Map<string, Dialog>();
  /** Call-ID + our tag → dialog id: the peer's requests carry our tag in To, its responses in From. */
  readonly #dialogsByLocalTag = new Map<string, string>();
  readonly #outboundTargets = new Set<net.Socket>();
  #handlerErrors = 0;
  #closing = false;

  private constructor(options: EmbeddedServerOptions, network: SipNetwork, host: string) {
    this.#options = options;
    this.#network = network;
    this.#host = host;
    this.#control = net.createServer((socket) => this.#adoptApp(socket, false));
  }

  static async start(options: EmbeddedServerOptions): Promise<EmbeddedDrachtioServer> {
    const host = options.host ?? '127.0.0.1';
    // The network starts first (its ports go into the server); messages before the server exists
    // cannot arrive, as nothing knows the ports yet.
    const holder: { server?: EmbeddedDrachtioServer } = {};
    const network = await SipNetwork.start({
      host,
      udpPort: options.sipUdpPort ?? 0,
      tcpPort: options.sipTcpPort ?? 0,
      ...(options.tls === undefined ? {} : { tls: options.tls }),
      maxMessageBytes: options.maxSipMessageBytes ?? 16 * 1024,
      rateLimit: options.rateLimit ?? { capacity: 200, ratePerSecond: 100 },
      onMessage: (message, remote) => {
        if (holder.server !== undefined) holder.server.#onNetworkMessage(message, remote);
      },
      onError: (error) => {
        if (holder.server !== undefined) holder.server.#reportError(error);
      },
    });
    const server = new EmbeddedDrachtioServer(options, network, host);
    holder.server = server;
    server.#control.listen(options.controlPort ?? 0, host);
    await once(server.#control, 'listening');
    return server;
  }

  get host(): string {
    return this.#host;
  }
  get controlPort(): number {
    return (this.#control.address() as net.AddressInfo).port;
  }
  get sipUdpPort(): number {
    return this.#network.udpPort;
  }
  get sipTcpPort(): number {
    return this.#network.tcpPort;
  }
  get sipTlsPort(): number | undefined {
    return this.#network.tlsPort;
  }
  get stats(): EmbeddedServerStats {
    return { ...this.#network.stats, handlerErrors: this.#handlerErrors };
  }
  get dialogCount(): number {
    return this.#dialogs.size;
  }

  /** Outbound-connection mode: dial an app that called `srf.listen`, and keep the connection up. */
  async connectToApp(host: string, port: number): Promise<void> {
    const socket = net.connect({ host, port });
    this.#outboundTargets.add(socket);
    await once(socket, 'connect');
    this.#adoptApp(socket, true);
    socket.once('close', () => {
      this.#outboundTargets.delete(socket);
      if (this.#closing) return;
      // Reconnect like drachtio-server does for a configured outbound target.
      setTimeout(() => {
        if (!this.#closing) this.connectToApp(host, port).catch((error: unknown) => this.#reportError(error));
      }, 500).unref();
    });
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    for (const dialog of this.#dialogs.values()) clearTimeout(dialog.retransmit2xx);
    this.#transactions.destroy();
    for (const socket of [...this.#apps.keys(), ...this.#outboundTargets]) socket.destroy();
    await new Promise<void>((resolve) => this.#control.close(() => resolve()));
    await this.#network.close();
  }

  #reportError(error: unknown): void {
    this.#handlerErrors += 1;
    this.#options.onError?.(error);
  }

  // ── app side ────────────────────────────────────────────────────────────────────────────────

  #adoptApp(socket: net.Socket, outbound: boolean): void {
    const app: AppConnection = { id: randomUUID(), socket, authenticated: false, outbound };
    this.#apps.set(socket, app);
    socket.setNoDelay(true);
    const decoder = new FrameDecoder(MAX_FRAME_BYTES);
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const text of decoder.push(chunk)) this.#onAppMessage(app, parseWireMessage(text));
      } catch (error) {
        if (!(error instanceof FramingError)) this.#reportError(error);
        socket.destroy();
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.#dropApp(app));
  }

  #dropApp(app: AppConnection): void {
    this.#apps.delete(app.socket);
    for (const [verb, apps] of this.#routes) {
      this.#routes.set(
        verb,
        apps.filter((candidate) => candidate !== app),
      );
    }
    for (const [txnId, entry] of this.#inbound) {
      if (entry.app !== app) continue;
      if (!entry.final && entry.request.method !== 'ACK')
        this.#respondInbound(entry, 503, 'Service Unavailable');
      this.#inbound.delete(txnId);
    }
    for (const [id, dialog] of this.#dialogs) if (dialog.app === app) this.#forgetDialog(id);
  }

  #send(app: AppConnection, fields: readonly (string | number)[], sipText?: string): void {
    if (!app.socket.destroyed) app.socket.write(encodeFrame(wireMessage(fields, sipText)));
  }

  /**
   * Hands a SIP message that came from the network to an app, in drachtio's frame
   * `sip|network|<len>|<proto>|<addr>|<port>|<time>|<txnId>|<dialogId>[|<localAddr>|<localPort>]`.
   * The local address is sent with new requests, where srf records where they were received.
   */
  #deliverFromNetwork(
    app: AppConnection,
    text: string,
    remote: Remote,
    txnId: string,
    dialogId: string,
    options: { withLocalAddress?: boolean } = {},
  ): void {
    const local = options.withLocalAddress ? [this.#host, this.#network.portFor(remote.protocol)] : [];
    const fields = ['sip', 'network', Buffer.byteLength(text), remote.protocol, remote.address, remote.port];
    this.#send(app, [...fields, new Date().toISOString(), txnId, dialogId, ...local], text);
  }

  #reply(app: AppConnection, msgId: string, fields: readonly (string | number)[], sipText?: string): void {
    this.#send(app, ['response', msgId, ...fields], sipText);
  }

  #onAppMessage(app: AppConnection, message: WireMessage): void {
    if (message.command === 'authenticate') {
      if (message.args[0] === this.#options.secret) {
        app.authenticated = true;
        this.#reply(app, message.msgId, ['OK', this.#hostports(), SERVER_VERSION, this.#hostports()]);
      } else {
        this.#reply(app, message.msgId, ['NOK', 'incorrect secret']);
        app.socket.end();
      }
      return;
    }
    if (!app.authenticated) {
      app.socket.destroy();
      return;
    }
    switch (message.command) {
      case 'route': {
        const verb = (message.args[0] ?? '').toLowerCase();
        this.#routes.set(verb, [...(this.#routes.get(verb) ?? []).filter((other) => other !== app), app]);
        this.#reply(app, message.msgId, ['OK']);
        return;
      }
      case 'remove_route': {
        const verb = (message.args[0] ?? '').toLowerCase();
        this.#routes.set(
          verb,
          (this.#routes.get(verb) ?? []).filter((other) => other !== app),
        );
        this.#reply(app, message.msgId, ['OK']);
        return;
      }
      case 'ping':
        this.#reply(app, message.msgId, ['OK']);
        return;
      case 'sip':
        this.#onAppSip(app, message).catch((error: unknown) => {
          this.#reportError(error);
          this.#reply(app, message.msgId, ['NOK', errorText(error)]);
        });
        return;
      default:
        this.#reply(app, message.msgId, [
          'NOK',
          `command '${message.command}' is not supported by the embedded server`,
        ]);
    }
  }

  #hostports(): string {
    const host = formatHost(this.#host);
    const tlsPort = this.#network.tlsPort;
    const tls = tlsPort === undefined ? '' : `,tls/${host}:${tlsPort}`;
    return `udp/${host}:${this.#network.udpPort},tcp/${host}:${this.#network.tcpPort}${tls}`;
  }

  async #onAppSip(app: AppConnection, message: WireMessage): Promise<void> {
    const [txnId = '', dialogId = '', proxy = ''] = message.args;
    const parsed = sip.parse(message.sip);
    if (parsed === undefined) throw new Error('unparseable SIP message from app');
    if (parsed.status !== undefined) {
      this.#sendResponseFromApp(app, message.msgId, txnId, parsed);
    } else if (parsed.method === 'CANCEL' && txnId !== '') {
      this.#sendCancel(app, message.msgId, txnId);
    } else if (dialogId !== '') {
      await this.#sendInDialog(app, message.msgId, dialogId, parsed);
    } else {
      await this.#sendNewRequest(app, message.msgId, parsed, proxy);
    }
  }

  #echo(
    app: AppConnection,
    msgId: string,
    remote: Remote,
    text: string,
    txnId: string,
    dialogId: string,
  ): void {
    this.#reply(
      app,
      msgId,
      [
        'OK',
        'application',
        Buffer.byteLength(text),
        remote.protocol,
        remote.address,
        remote.port,
        new Date().toISOString(),
        txnId,
        dialogId,
      ],
      text,
    );
  }

  #sendResponseFromApp(app: AppConnection, msgId: string, txnId: string, fromApp: SipMessage): void {
    const entry = this.#inbound.get(txnId);
    if (entry === undefined || entry.final) {
      this.#reply(app, msgId, ['NOK', `no transaction '${txnId}' awaiting a response`]);
      return;
    }
    const status = fromApp.status ?? 500;
    const request = entry.request;
    const response = sip.makeResponse(request, status, fromApp.reason ?? '');
    const toTagNeeded = status > 100 && tagOf(request.headers.to) === undefined;
    if (toTagNeeded && request.headers.to !== undefined) {
      response.headers.to = {
        ...request.headers.to,
        params: { ...request.headers.to.params, tag: tagOf(fromApp.headers.to) ?? entry.localTag },
      };
    }
    copyAppHeaders(fromApp, response);
    if (request.method === 'INVITE' && status > 100 && status < 300) {
      response.headers.contact = contactFor(
        fromApp.headers.contact,
        this.#host,
        this.#network.portFor(entry.remote.protocol),
        entry.remote.protocol,
      );
    }
    response.content = fromApp.content ?? '';
    const isFinal = status >= 200;
    if (isFinal) entry.final = true;
    if (isFinal && request.method === 'INVITE' && status < 300) {
      this.#confirmInboundInvite(entry, response);
    }
    const text = sip.stringify(response);
    entry.txn.send(response);
    if (isFinal && request.method === 'BYE') this.#forgetDialog(entry.dialogId);
    this.#echo(app, msgId, entry.remote, text, txnId, entry.dialogId);
    if (isFinal) this.#forgetInbound(txnId, entry);
  }

  /** A 2xx to an INVITE: the dialog exists now (or is updated), and the 2xx is resent until ACKed. */
  #confirmInboundInvite(entry: InboundTxn, response: SipMessage): void {
    const request = entry.request;
    const callId = request.headers['call-id'] ?? '';
    const contact = uriOf(request.headers.contact);
    let dialog = this.#dialogs.get(entry.dialogId);
    if (dialog === undefined && request.headers.from !== undefined && response.headers.to !== undefined) {
      const id = dialogIdOf(callId, tagOf(request.headers.from) ?? '');
      dialog = {
        id,
        app: entry.app,
        callId,
        local: response.headers.to,
        remote: request.headers.from,
        remoteTarget: contact ?? request.uri ?? '',
        flow: entry.remote,
        localSeq: 0,
        inviteSeq: 0,
      };
      this.#addDialog(dialog);
      entry.dialogId = id;
    } else if (dialog !== undefined && contact !== undefined) {
      dialog.remoteTarget = contact;
    }
    if (dialog === undefined || entry.remote.protocol !== 'udp') return;
    const text = sip.stringify(response);
    const started = Date.now();
    const target = dialog;
    const resend = (intervalMs: number): void => {
      target.retransmit2xx = setTimeout(() => {
        if (Date.now() - started >= TIMER_H_MS) {
          target.retransmit2xx = undefined;
          return;
        }
        this.#network.sendText(entry.remote, text);
        resend(Math.min(intervalMs * 2, T2_MS));
      }, intervalMs);
      target.retransmit2xx.unref();
    };
    clearTimeout(dialog.retransmit2xx);
    resend(T1_MS);
  }

  #sendCancel(app: AppConnection, msgId: string, txnId: string): void {
    const entry = this.#outbound.get(txnId);
    if (entry === undefined || entry.request.method !== 'INVITE') {
      this.#reply(app, msgId, ['NOK', `no INVITE transaction '${txnId}' to cancel`]);
      return;
    }
    const invite = entry.request;
    const via = invite.headers.via?.[0];
    const cancel: SipMessage = {
      method: 'CANCEL',
      uri: invite.uri ?? '',
      headers: {
        via: via === undefined ? [] : [{ ...via, params: { ...via.params } }],
        to: invite.headers.to,
        from: invite.headers.from,
        'call-id': invite.headers['call-id'],
        cseq: { seq: invite.headers.cseq?.seq ?? 1, method: 'CANCEL' },
        'max-forwards': 70,
      },
    };
    this.#transactions.createClientTransaction(
      this.#network.connection(entry.remote),
      cancel,
      () => undefined,
    );
    this.#echo(app, msgId, entry.remote, sip.stringify(cancel), randomUUID(), '');
  }

  async #sendInDialog(
    app: AppConnection,
    msgId: string,
    dialogId: string,
    fromApp: SipMessage,
  ): Promise<void> {
    const dialog = this.#dialogs.get(dialogId);
    const method = fromApp.method ?? '';
    if (dialog === undefined) {
      this.#reply(app, msgId, ['NOK', `unable to find dialog for ${dialogId}`]);
      return;
    }
    let remote: Remote;
    try {
      remote = await resolveTarget(dialog.remoteTarget, dialog.flow.protocol);
    } catch {
      remote = dialog.flow;
    }
    if (method === 'INVITE') dialog.inviteSeq = dialog.localSeq + 1;
    const seq = method === 'ACK' ? dialog.inviteSeq : ++dialog.localSeq;
    const request: SipMessage = {
      method,
      uri: dialog.remoteTarget,
      headers: {
        via: [this.#via(remote.protocol, method === 'ACK' ? newBranch() : undefined)],
        'max-forwards': 70,
        from: dialog.local,
        to: dialog.remote,
        'call-id': dialog.callId,
        cseq: { seq, method },
      },
      content: fromApp.content ?? '',
    };
    copyAppHeaders(fromApp, request);
    if (method === 'INVITE' || method === 'UPDATE' || method === 'ACK') {
      request.headers.contact = contactFor(
        fromApp.headers.contact,
        this.#host,
        this.#network.portFor(remote.protocol),
        remote.protocol,
      );
    }
    if (method === 'ACK') {
      const text = sip.stringify(request);
      dialog.lastAck = { seq, text, remote };
      this.#network.sendText(remote, text);
      this.#echo(app, msgId, remote, text, randomUUID(), dialogId);
      return;
    }
    const txnId = this.#startClientTransaction(app, request, remote, dialogId);
    if (method === 'BYE') this.#forgetDialog(dialogId);
    this.#echo(app, msgId, remote, sip.stringify(request), txnId, dialogId);
  }

  async #sendNewRequest(
    app: AppConnection,
    msgId: string,
    fromApp: SipMessage,
    proxy: string,
  ): Promise<void> {
    const method = fromApp.method ?? '';
    const uri = fromApp.uri ?? '';
    const remote = await resolveTarget(proxy !== '' ? proxy : uri);
    const headers = fromApp.headers;
    const from = headers.from ?? { uri: `sip:faxswitch@${formatHost(this.#host)}`, params: {} };
    const fromUri = sip.parseUri(from.uri);
    // srf writes `@localhost` for a calling number; the peer needs an address it can answer.
    if (fromUri !== undefined && fromUri.host === 'localhost') {
      fromUri.host = formatHost(this.#host);
      from.uri = sip.stringifyUri(fromUri);
    }
    const request: SipMessage = {
      method,
      uri,
      headers: {
        via: [this.#via(remote.protocol)],
        'max-forwards': 70,
        from: { ...from, params: { ...from.params, tag: tagOf(from) ?? newTag() } },
        to: headers.to ?? { uri, params: {} },
        'call-id': headers['call-id'] ?? randomUUID(),
        cseq: headers.cseq ?? { seq: 1, method },
      },
      content: fromApp.content ?? '',
    };
    copyAppHeaders(fromApp, request);
    if (method === 'INVITE' || method === 'SUBSCRIBE') {
      request.headers.contact = contactFor(
        headers.contact,
        this.#host,
        this.#network.portFor(remote.protocol),
        remote.protocol,
      );
    }
    const txnId = this.#startClientTransaction(app, request, remote, '');
    this.#echo(app, msgId, remote, sip.stringify(request), txnId, '');
  }

  #via(protocol: SipProtocol, branch?: string): NonNullable<SipMessage['headers']['via']>[number] {
    return {
      version: '2.0',
      protocol: protocol.toUpperCase(),
      host: formatHost(this.#host),
      port: this.#network.portFor(protocol),
      params: { branch: branch ?? newBranch(), rport: null },
    };
  }

  #startClientTransaction(app: AppConnection, request: SipMessage, remote: Remote, dialogId: string): string {
    const txnId = randomUUID();
    const txn = this.#transactions.createClientTransaction(
      this.#network.connection(remote),
      request,
      (response) => this.#onTransactionResponse(txnId, response),
    );
    this.#outbound.set(txnId, { request, remote, txn, app, dialogId });
    return txnId;
  }

  #onTransactionResponse(txnId: string, response: SipMessage): void {
    const entry = this.#outbound.get(txnId);
    if (entry === undefined) return;
    const status = response.status ?? 0;
    const isInvite = entry.request.method === 'INVITE';
    if (isInvite && status >= 200 && status < 300) {
      const existing = this.#dialogs.get(entry.dialogId);
      // A retransmitted 2xx we already ACKed: ACK again, the app has seen it.
      if (existing?.lastAck !== undefined && existing.lastAck.seq === response.headers.cseq?.seq) {
        this.#network.sendText(existing.lastAck.remote, existing.lastAck.text);
        return;
      }
      this.#confirmOutboundInvite(entry, response);
    }
    this.#deliverFromNetwork(entry.app, sip.stringify(response), entry.remote, txnId, entry.dialogId);
    if (status >= 200 && !(isInvite && status < 300)) this.#outbound.delete(txnId);
    if (isInvite && status >= 200 && status < 300) {
      // Keep the entry until timer M so 2xx retransmissions still find the dialog, then forget it.
      setTimeout(() => this.#outbound.delete(txnId), TIMER_H_MS).unref();
    }
  }

  #confirmOutboundInvite(entry: OutboundTxn, response: SipMessage): void {
    const remoteTarget = uriOf(response.headers.contact);
    const dialog = this.#dialogs.get(entry.dialogId);
    if (dialog !== undefined) {
      if (remoteTarget !== undefined) dialog.remoteTarget = remoteTarget;
      return;
    }
    const from = entry.request.headers.from;
    const to = response.headers.to;
    if (from === undefined || to === undefined || remoteTarget === undefined) return;
    const callId = entry.request.headers['call-id'] ?? '';
    // `;uac` keeps our dialog apart from the peer's when a call loops back to this server.
    const id = `${dialogIdOf(callId, tagOf(from) ?? '')};uac`;
    const seq = entry.request.headers.cseq?.seq ?? 1;
    this.#addDialog({
      id,
      app: entry.app,
      callId,
      local: from,
      remote: to,
      remoteTarget,
      flow: entry.remote,
      localSeq: seq,
      inviteSeq: seq,
    });
    entry.dialogId = id;
  }

  #addDialog(dialog: Dialog): void {
    this.#dialogs.set(dialog.id, dialog);
    this.#dialogsByLocalTag.set(localTagKey(dialog.callId, tagOf(dialog.local) ?? ''), dialog.id);
  }

  #forgetDialog(id: string): void {
    const dialog = this.#dialogs.get(id);
    if (dialog === undefined) return;
    clearTimeout(dialog.retransmit2xx);
    this.#dialogs.delete(id);
    this.#dialogsByLocalTag.delete(localTagKey(dialog.callId, tagOf(dialog.local) ?? ''));
  }

  #forgetInbound(txnId: string, entry: InboundTxn): void {
    this.#inbound.delete(txnId);
    if (entry.request.method === 'INVITE') this.#inboundInvites.delete(inviteKey(entry.request));
  }

  // ── network side ────────────────────────────────────────────────────────────────────────────

  #onNetworkMessage(message: SipMessage, remote: Remote): void {
    if (this.#closing) return;
    if (message.status !== undefined) {
      const txn = this.#transactions.getClient(message);
      if (txn !== undefined) txn.message(message, remote);
      else this.#onStrayResponse(message);
      return;
    }
    const existing = this.#transactions.getServer(message);
    if (existing !== undefined) {
      existing.message(message);
      return;
    }
    switch (message.method) {
      case 'ACK':
        this.#onAckFor2xx(message, remote);
        return;
      case 'CANCEL':
        this.#onCancel(message, remote);
        return;
    }
    const refusal = refusalFor(message);
    if (refusal !== undefined) {
      this.#respondStateless(message, remote, refusal.status, refusal.reason, refusal.headers);
      return;
    }
    if (tagOf(message.headers.to) !== undefined) {
      this.#onInDialogRequest(message, remote);
      return;
    }
    const app = this.#pickApp((message.method ?? '').toLowerCase());
    if (app === undefined) {
      if (message.method === 'OPTIONS') {
        this.#respondStateless(message, remote, 200, 'OK', {
          allow: 'INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO',
        });
      } else {
        this.#respondStateless(
          message,
          remote,
          message.method === 'INVITE' ? 503 : 405,
          message.method === 'INVITE' ? 'Service Unavailable' : 'Method Not Allowed',
        );
      }
      return;
    }
    this.#forwardRequest(app, message, remote, '');
  }

  #pickApp(verb: string): AppConnection | undefined {
    const routed = (this.#routes.get(verb) ?? []).filter((app) => !app.socket.destroyed);
    const candidates =
      routed.length > 0
        ? routed
        : [...this.#apps.values()].filter((app) => app.outbound && app.authenticated);
    if (candidates.length === 0) return undefined;
    const next = (this.#roundRobin.get(verb) ?? 0) % candidates.length;
    this.#roundRobin.set(verb, next + 1);
    return candidates[next];
  }

  #forwardRequest(app: AppConnection, request: SipMessage, remote: Remote, dialogId: string): void {
    const txn = this.#transactions.createServerTransaction(request, this.#network.connection(remote));
    const txnId = randomUUID();
    const entry: InboundTxn = { request, remote, txn, app, localTag: newTag(), final: false, dialogId };
    this.#inbound.set(txnId, entry);
    if (request.method === 'INVITE') {
      this.#inboundInvites.set(inviteKey(request), txnId);
      txn.send(sip.makeResponse(request, 100, 'Trying'));
    } else {
      // The peer gives up on a non-INVITE after timer F (64·T1); an app that never answers must
      // not leave the entry behind. INVITEs wait for the app (or its disconnect), as drachtio does.
      setTimeout(() => {
        if (this.#inbound.get(txnId) === entry) this.#forgetInbound(txnId, entry);
      }, TIMER_H_MS).unref();
    }
    this.#deliverFromNetwork(app, sip.stringify(request), remote, txnId, dialogId, {
      withLocalAddress: true,
    });
  }

  #findDialogFor(message: SipMessage): Dialog | undefined {
    const localTag = message.status === undefined ? tagOf(message.headers.to) : tagOf(message.headers.from);
    const id = this.#dialogsByLocalTag.get(localTagKey(message.headers['call-id'] ?? '', localTag ?? ''));
    return id === undefined ? undefined : this.#dialogs.get(id);
  }

  #onInDialogRequest(message: SipMessage, remote: Remote): void {
    const dialog = this.#findDialogFor(message);
    if (dialog === undefined || dialog.app.socket.destroyed) {
      this.#respondStateless(message, remote, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    if (message.method === 'INVITE' || message.method === 'UPDATE') {
      const target = uriOf(message.headers.contact);
      if (target !== undefined) dialog.remoteTarget = target;
    }
    this.#forwardRequest(dialog.app, message, remote, dialog.id);
  }

  #onAckFor2xx(ack: SipMessage, remote: Remote): void {
    const dialog = this.#findDialogFor(ack);
    if (dialog === undefined) return;
    clearTimeout(dialog.retransmit2xx);
    dialog.retransmit2xx = undefined;
    this.#deliverFromNetwork(dialog.app, sip.stringify(ack), remote, randomUUID(), dialog.id);
  }

  #onCancel(cancel: SipMessage, remote: Remote): void {
    const txnId = this.#inboundInvites.get(inviteKey(cancel));
    const entry = txnId === undefined ? undefined : this.#inbound.get(txnId);
    if (txnId === undefined || entry === undefined || entry.final) {
      this.#respondStateless(cancel, remote, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    this.#respondStateless(cancel, remote, 200, 'OK');
    // As drachtio-server does: the server ends the INVITE with 487 and tells the app.
    this.#respondInbound(entry, 487, 'Request Terminated');
    this.#forgetInbound(txnId, entry);
    this.#deliverFromNetwork(entry.app, sip.stringify(cancel), remote, txnId, '');
  }

  #respondInbound(entry: InboundTxn, status: number, reason: string): void {
    entry.final = true;
    const response = sip.makeResponse(entry.request, status, reason);
    if (entry.request.headers.to !== undefined && tagOf(entry.request.headers.to) === undefined) {
      response.headers.to = {
        ...entry.request.headers.to,
        params: { ...entry.request.headers.to.params, tag: entry.localTag },
      };
    }
    entry.txn.send(response);
  }

  /** Answers through a server transaction that no app sees (OPTIONS, 481, 503, CANCEL's 200). */
  #respondStateless(
    request: SipMessage,
    remote: Remote,
    status: number,
    reason: string,
    headers: Record<string, string> = {},
  ): void {
    const txn = this.#transactions.createServerTransaction(request, this.#network.connection(remote));
    const response = sip.makeResponse(request, status, reason, { headers });
    if (request.headers.to !== undefined && tagOf(request.headers.to) === undefined && status > 100) {
      response.headers.to = {
        ...request.headers.to,
        params: { ...request.headers.to.params, tag: newTag() },
      };
    }
    txn.send(response);
  }

  #onStrayResponse(response: SipMessage): void {
    // A 2xx retransmitted after the INVITE transaction ended still needs our ACK.
    if (response.headers.cseq?.method !== 'INVITE' || (response.status ?? 0) >= 300) return;
    const dialog = this.#findDialogFor(response);
    if (dialog?.lastAck !== undefined && dialog.lastAck.seq === response.headers.cseq.seq) {
      this.#network.sendText(dialog.lastAck.remote, dialog.lastAck.text);
    }
  }
}

/** Session timers (RFC 4028) need nothing from the server: refreshes are ordinary re-INVITEs. */
const SUPPORTED_EXTENSIONS = new Set(['timer']);

/** RFC 3261 checks a server makes before any app sees the request (§8.2.2.3, §16.3). */
function refusalFor(
  request: SipMessage,
): { status: number; reason: string; headers?: Record<string, string> } | undefined {
  const maxForwards = request.headers['max-forwards'];
  if (maxForwards !== undefined && Number(maxForwards) <= 0) return { status: 483, reason: 'Too Many Hops' };
  const required = request.headers['require'];
  const unsupported =
    typeof required === 'string'
      ? required
          .split(',')
          .map((token) => token.trim())
          .filter((token) => token !== '' && !SUPPORTED_EXTENSIONS.has(token.toLowerCase()))
      : [];
  if (unsupported.length > 0) {
    return { status: 420, reason: 'Bad Extension', headers: { unsupported: unsupported.join(', ') } };
  }
  return undefined;
}

function localTagKey(callId: string, localTag: string): string {
  return `${callId}|${localTag}`;
}

function inviteKey(message: SipMessage): string {
  return `${message.headers['call-id'] ?? ''}|${message.headers.via?.[0]?.params['branch'] ?? ''}`;
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/[|\r\n]/g, ' ');
}
