// The drachtio-srf adapter: implements the call-control port on top of srf, connected to a
// drachtio server (real or embedded) in either mode — the app connects to the server, or the app
// listens and the server connects to it. Inbound policy (unknown DID, node full) is applied here
// before the fax layer sees an offer; outbound calls go through the trunk pool with failover.
import Srf from 'drachtio-srf';
import { once } from 'node:events';
import type { Server, Socket } from 'node:net';
import type { Logger } from '../observability/index.ts';
import {
  formatFaxJobHeader,
  type CallControl,
  type CallEndReason,
  type CallSession,
  type DialRequest,
  type InboundCallHandler,
  type InboundOffer,
  type ModifyResult,
  type PeerOfferDecision,
  type T38Policy,
} from './call-control.ts';
import { CongestionError, errorForStatus, isTrunkFailure, retryAfterMsFrom } from './errors.ts';
import { isSessionRefresh, offersT38 } from './sdp.ts';
import { TrunkPool, type TrunkConfig, type TrunkLease } from './trunks.ts';

export type DrachtioConnection =
  | { readonly mode: 'connect'; readonly host: string; readonly port: number; readonly secret: string }
  | { readonly mode: 'listen'; readonly host: string; readonly port: number; readonly secret: string };

export type DidStatus = 'active' | 'inactive' | 'unknown';

export interface InboundPolicy {
  /** Injected by the caller: what the DID store says about a dialled number. */
  readonly lookupDid: (did: string) => Promise<DidStatus>;
  /** Status for an unknown or inactive DID: 404 (default), 480 or 603. */
  readonly unknownDidStatus: 404 | 480 | 603;
  /** False when this node takes no more calls. */
  readonly hasCapacity: () => boolean;
  readonly retryAfterSeconds: number;
  readonly t38Policy: T38Policy;
}

export interface SrfSignallingOptions {
  readonly connection: DrachtioConnection;
  readonly trunks: readonly TrunkConfig[];
  readonly inbound: InboundPolicy;
  readonly logger: Logger;
  /** Outbound calls: a 3xx is not followed; an INVITE gets this User-Agent. */
  readonly userAgent?: string;
}

type SrfDialog = Srf.Dialog;
type SrfRequest = Srf.SrfRequest;
type SrfResponse = Srf.SrfResponse;

interface SrfSipError extends Error {
  status?: number;
  reason?: string;
  res?: { get(name: string): string | undefined; has(name: string): boolean };
}

export class SrfSignalling implements CallControl {
  readonly #srf: Srf;
  readonly #options: SrfSignallingOptions;
  readonly #trunks: TrunkPool;
  readonly #log: Logger;
  readonly #sessions = new Set<SrfCallSession>();
  #handler: InboundCallHandler | undefined;
  #listenServer: Server | undefined;
  readonly #serverSockets = new Set<Socket>();
  #connected: Promise<void>;
  #closed = false;

  private constructor(options: SrfSignallingOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#trunks = new TrunkPool(options.trunks);
    this.#srf = new Srf();
    this.#srf.on('error', (error: Error) => this.#log.warn({ err: error }, 'drachtio connection error'));
    // Dialogs live in the server; without the connection we can neither hear nor end them.
    (this.#srf as unknown as NodeJS.EventEmitter).on('close', () => {
      for (const session of this.#sessions) session.transportLost();
    });
    this.#connected = new Promise<void>((resolve) => {
      this.#srf.on('connect', (error: Error | null) => {
        if (error === null || error === undefined) resolve();
        else this.#log.error({ err: error }, 'drachtio server refused us');
      });
    });
    this.#srf.invite((req, res) => {
      this.#onInvite(req, res).catch((error: unknown) => {
        this.#log.error({ err: error }, 'inbound INVITE handling failed');
        if (!res.finalResponseSent) res.send(500);
      });
    });
  }

  /** Connects (or starts listening); resolves once a server has authenticated us in connect
   * mode, or once the listener is bound in listen mode (see `connected`). */
  static async start(options: SrfSignallingOptions): Promise<SrfSignalling> {
    const signalling = new SrfSignalling(options);
    const { connection } = options;
    if (connection.mode === 'connect') {
      void signalling.#srf.connect({
        host: connection.host,
        port: connection.port,
        secret: connection.secret,
      });
      await signalling.#connected;
    } else {
      const server = signalling.#srf.listen({
        host: connection.host,
        port: connection.port,
        secret: connection.secret,
      }) as unknown as Server;
      signalling.#listenServer = server;
      server.on('connection', (socket: Socket) => {
        signalling.#serverSockets.add(socket);
        socket.once('close', () => signalling.#serverSockets.delete(socket));
      });
      if (!server.listening) await once(server, 'listening');
    }
    return signalling;
  }

  /** Listen mode: the bound port (useful with port 0). */
  get listenPort(): number | undefined {
    const address = this.#listenServer?.address();
    return address === undefined || address === null || typeof address === 'string'
      ? undefined
      : address.port;
  }

  /** Resolves when a drachtio server has connected and authenticated. */
  get connected(): Promise<void> {
    return this.#connected;
  }

  get activeCalls(): number {
    return this.#sessions.size;
  }

  trunkChannelsInUse(name: string): number {
    return this.#trunks.channelsInUse(name);
  }

  onInbound(handler: InboundCallHandler): void {
    this.#handler = handler;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#sessions].map((session) => session.hangup()));
    if (this.#listenServer !== undefined) {
      const server = this.#listenServer;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of this.#serverSockets) socket.destroy();
      await closed;
      return;
    }
    try {
      this.#srf.disconnect();
    } catch (error) {
      // srf asserts when the server already dropped the connection; nothing is left to close.
      this.#log.debug({ err: error }, 'drachtio connection was already gone');
    }
  }

  /** srf fills in the standard reason phrase when `reason` is ''. */
  async #onInvite(req: SrfRequest, res: SrfResponse): Promise<void> {
    const policy = this.#options.inbound;
    const offer = toInboundOffer(req);
    const abort = new AbortController();
    (req as unknown as NodeJS.EventEmitter).on('cancel', () => abort.abort());
    if (!policy.hasCapacity()) {
      res.send(503, '', { headers: { 'Retry-After': String(policy.retryAfterSeconds) } });
      return;
    }
    const didStatus = await policy.lookupDid(offer.did);
    if (abort.signal.aborted) return;
    if (didStatus !== 'active') {
      res.send(policy.unknownDidStatus, '', {});
      return;
    }
    const handler = this.#handler;
    if (handler === undefined) {
      res.send(503, '', { headers: { 'Retry-After': String(policy.retryAfterSeconds) } });
      return;
    }
    const decision = await handler.offer(offer, abort.signal);
    if (abort.signal.aborted) return;
    if (decision.kind === 'reject') {
      res.send(decision.status, decision.reason ?? '', {
        headers: { ...decision.headers },
      });
      return;
    }
    let dialog: SrfDialog;
    try {
      dialog = await this.#srf.createUAS(req, res, {
        localSdp: decision.sdp,
        headers: { 'Content-Type': 'application/sdp' },
      });
    } catch (error) {
      // Cancelled while answering: srf reports 487; the caller is gone.
      this.#log.info({ err: error, callId: offer.callId }, 'inbound call ended before it was answered');
      return;
    }
    const session = this.#track(
      new SrfCallSession(dialog, 'inbound', policy.t38Policy, undefined, offer.sdp, this.#log),
    );
    handler.answered(session, offer);
  }

  #track(session: SrfCallSession, lease?: TrunkLease): SrfCallSession {
    this.#sessions.add(session);
    session.onEnded(() => {
      this.#sessions.delete(session);
      lease?.release();
    });
    return session;
  }

  async dial(request: DialRequest): Promise<CallSession> {
    if (request.signal?.aborted === true) {
      throw errorForStatus({ status: 487, reason: 'Request Terminated (aborted before dialling)' });
    }
    const only = request.trunk;
    if (only !== undefined && !this.#trunks.names.includes(only))
      throw new CongestionError(`no trunk named '${only}' is configured on this node`, {
        wire: { sip: 503 },
      });
    const excluded = new Set(only === undefined ? [] : this.#trunks.names.filter((name) => name !== only));
    const tried = new Set(excluded);
    let lastFailure: Error | undefined;
    for (;;) {
      const lease = this.#trunks.lease(tried, { paced: request.paced === true });
      if (lease === undefined) break;
      tried.add(lease.trunk.name);
      try {
        const session = await this.#dialTrunk(request, lease);
        return this.#track(session, lease);
      } catch (error) {
        lease.release();
        if (!(error instanceof TrunkAttemptFailed)) throw error;
        lastFailure = error.outcome;
        // Fail over only when the carrier itself failed (5xx or no response); the callee's
        // answers (busy, bad number, …) would be the same on any trunk.
        if (!error.failover) throw error.outcome;
        this.#log.warn({ trunk: lease.trunk.name, err: error.outcome }, 'trunk failed, trying the next');
      }
    }
    if (lastFailure !== undefined) throw lastFailure;
    throw new CongestionError('every trunk is at its channel or calls-per-second limit', {
      wire: { sip: 503 },
      retryAfterMs: this.#trunks.msUntilCapacity(excluded),
    });
  }

  async #dialTrunk(request: DialRequest, lease: TrunkLease): Promise<SrfCallSession> {
    const { trunk } = lease;
    const proxy = /^sips?:/.test(trunk.proxy) ? trunk.proxy : `sip:${trunk.proxy}`;
    const domain = trunk.domain ?? proxy.replace(/^sips?:/, '').split(/[;:]/)[0] ?? '';
    const sdp = typeof request.sdp === 'function' ? request.sdp(lease.info) : request.sdp;
    const headers: Record<string, string> = { ...request.headers, 'Content-Type': 'application/sdp' };
    if (request.job !== undefined) headers['X-Fax-Job'] = formatFaxJobHeader(request.job);
    if (this.#options.userAgent !== undefined) headers['User-Agent'] = this.#options.userAgent;
    const name = request.callerId.name;
    headers['From'] =
      `${name === undefined ? '' : `"${name.replace(/["\\\r\n]/g, '')}" `}<sip:${request.callerId.number}@localhost>`;

    let sent: SrfRequest | undefined;
    let phase: 'setup' | 'ringing' = 'setup';
    let timedOut: 'setup' | 'answer' | undefined;
    let timer: NodeJS.Timeout | undefined;
    const cancel = (): void => {
      try {
        sent?.cancel(() => undefined);
      } catch (error) {
        this.#log.debug({ err: error }, 'CANCEL could not be sent');
      }
    };
    const arm = (ms: number, which: 'setup' | 'answer', giveUp: () => void): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = which;
        cancel();
        giveUp();
      }, ms);
    };
    const onAbort = (): void => cancel();
    request.signal?.addEventListener('abort', onAbort, { once: true });

    const attempt = new Promise<SrfDialog>((resolve, reject) => {
      // A carrier that never answers leaves the INVITE transaction running for 32 s; we stop
      // waiting at our own timer and fail over, and hang up a late 200 if one still comes.
      arm(trunk.setupTimeoutMs, 'setup', () =>
        reject(
          new TrunkAttemptFailed(
            errorForStatus({ status: 408, reason: 'Request Timeout (no response from trunk)' }),
            true,
          ),
        ),
      );
      this.#srf
        .createUAC(
          `sip:${request.to}@${domain}`,
          {
            localSdp: sdp,
            headers,
            proxy,
            ...(trunk.username === undefined
              ? {}
              : { auth: { username: trunk.username, password: trunk.password ?? '' } }),
          },
          {
            // srf calls this as (err, req), whatever its typings say.
            cbRequest: ((_error: unknown, req: SrfRequest) => {
              sent = req;
            }) as unknown as (req: SrfRequest) => void,
            cbProvisional: (res: SrfResponse) => {
              if (phase === 'setup') {
                phase = 'ringing';
                arm(trunk.answerTimeoutMs, 'answer', () => undefined);
              }
              request.onProvisional?.({
                status: res.status,
                reason: res.reason,
                trunk: trunk.name,
                sdp: res.body === '' ? undefined : res.body,
              });
            },
          },
        )
        .then((dialog) => {
          if (timedOut === 'setup') {
            void dialog.destroy();
            return;
          }
          resolve(dialog);
        })
        .catch((error: unknown) => reject(this.#failureOf(error, timedOut)));
    });
    try {
      const dialog = await attempt;
      return new SrfCallSession(
        dialog,
        'outbound',
        trunk.t38Policy,
        trunk.name,
        dialog.remote.sdp,
        this.#log,
      );
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
    }
  }

  #failureOf(error: unknown, timedOut: 'setup' | 'answer' | undefined): TrunkAttemptFailed {
    const sipError = error as SrfSipError;
    if (typeof sipError.status !== 'number') {
      return new TrunkAttemptFailed(
        new CongestionError('the drachtio server could not send the INVITE', { cause: error }),
        true,
      );
    }
    const status = timedOut === 'answer' && sipError.status === 487 ? 480 : sipError.status;
    const outcome = errorForStatus({
      status,
      reason: sipError.reason ?? sipError.message,
      retryAfterMs: retryAfterMsFrom(
        sipError.res?.has('Retry-After') === true ? sipError.res.get('Retry-After') : undefined,
      ),
      cause: error,
    });
    return new TrunkAttemptFailed(outcome, isTrunkFailure(outcome));
  }
}

class TrunkAttemptFailed extends Error {
  readonly outcome: Error;
  readonly failover: boolean;
  constructor(outcome: Error, failover: boolean) {
    super(outcome.message, { cause: outcome });
    this.outcome = outcome;
    this.failover = failover;
  }
}

function userOf(header: string): string {
  return /sips?:([^@;>]+)@/.exec(header)?.[1] ?? '';
}

function toInboundOffer(req: SrfRequest): InboundOffer {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name.toLowerCase()] = String(value);
  const identity = req.has('p-asserted-identity') ? req.get('p-asserted-identity') : req.get('from');
  const did = userOf(req.uri) || userOf(req.get('to'));
  const port = Number(req.source_port);
  return {
    callId: req.get('call-id'),
    caller: userOf(identity),
    callerName: /^\s*"([^"]*)"/.exec(identity)?.[1] ?? '',
    did,
    sdp: req.body ?? '',
    headers,
    source: { address: req.source_address, port, protocol: req.protocol },
  };
}

/** One answered call over an srf Dialog. */
class SrfCallSession implements CallSession {
  readonly direction: 'inbound' | 'outbound';
  readonly t38Policy: T38Policy;
  readonly trunk: string | undefined;
  readonly #dialog: SrfDialog;
  readonly #log: Logger;
  #remoteSdp: string;
  #ended = false;
  #refreshCount = 0;
  #peerOfferHandler: ((sdp: string) => Promise<PeerOfferDecision>) | undefined;
  readonly #endedHandlers: ((reason: CallEndReason) => void)[] = [];

  constructor(
    dialog: SrfDialog,
    direction: 'inbound' | 'outbound',
    t38Policy: T38Policy,
    trunk: string | undefined,
    remoteSdp: string,
    log: Logger,
  ) {
    this.#dialog = dialog;
    this.direction = direction;
    this.t38Policy = t38Policy;
    this.trunk = trunk;
    this.#remoteSdp = remoteSdp;
    this.#log = log;
    // A 'refresh' listener makes srf tell unchanged-o= re-INVITEs apart and answer them itself.
    dialog.on('refresh', () => {
      this.#refreshCount += 1;
    });
    dialog.on('modify', (req, res) => {
      this.#onPeerReinvite(req, res).catch((error: unknown) => {
        this.#log.error({ err: error, callId: this.callId }, 'answering a re-INVITE failed');
        if (!res.finalResponseSent) res.send(500);
      });
    });
    dialog.on('destroy', () => this.#end('remote-hangup'));
  }

  get callId(): string {
    return this.#dialog.sip.callId;
  }
  get localSdp(): string {
    return this.#dialog.local.sdp;
  }
  get remoteSdp(): string {
    return this.#remoteSdp;
  }
  get ended(): boolean {
    return this.#ended;
  }
  get refreshCount(): number {
    return this.#refreshCount;
  }

  async #onPeerReinvite(req: SrfRequest, res: SrfResponse): Promise<void> {
    const offer = req.body ?? '';
    const answerWith = (sdp: string): void => {
      res.send(200, { body: sdp, headers: { 'Content-Type': 'application/sdp' } });
    };
    if (isSessionRefresh(this.#remoteSdp, offer)) {
      // A session-timer refresh (RFC 4028) — possibly without a body, which srf does not spot:
      // answer with what we have and never tell the fax layer.
      this.#dialog.remote.sdp = this.#remoteSdp;
      this.#refreshCount += 1;
      answerWith(this.localSdp);
      return;
    }
    const refuse = (status: number): void => {
      // The old session stays in force (RFC 3261 §14.2).
      this.#dialog.remote.sdp = this.#remoteSdp;
      res.send(status);
    };
    if (offersT38(offer) && this.t38Policy === 'force-audio') return refuse(488);
    const handler = this.#peerOfferHandler;
    if (handler === undefined) return refuse(488);
    const decision = await handler(offer);
    if (decision.kind === 'refuse') return refuse(decision.status);
    this.#remoteSdp = offer;
    this.#dialog.local.sdp = decision.sdp;
    answerWith(decision.sdp);
  }

  async modify(sdp: string): Promise<ModifyResult> {
    if (this.#ended) throw new Error(`call ${this.callId} has ended`);
    if (offersT38(sdp) && this.t38Policy !== 'offer-on-reinvite')
      return { accepted: false, status: 488, byPolicy: true };
    const previousLocal = this.localSdp;
    try {
      const remoteSdp = await this.#dialog.modify(sdp);
      this.#remoteSdp = remoteSdp;
      return { accepted: true, remoteSdp };
    } catch (error) {
      const status = (error as SrfSipError).status;
      if (typeof status !== 'number') throw error;
      // srf already switched its local SDP; a refused offer leaves the old session in force.
      this.#dialog.local.sdp = previousLocal;
      return { accepted: false, status, byPolicy: false };
    }
  }

  onPeerOffer(handler: (sdp: string) => Promise<PeerOfferDecision>): void {
    this.#peerOfferHandler = handler;
  }

  onEnded(handler: (reason: CallEndReason) => void): void {
    if (this.#ended) return;
    this.#endedHandlers.push(handler);
  }

  async hangup(): Promise<void> {
    if (this.#ended) return;
    this.#end('local-hangup');
    try {
      await new Promise<void>((resolve, reject) =>
        this.#dialog.destroy(undefined, (error: unknown) => (error ? reject(toError(error)) : resolve())),
      );
    } catch (error) {
      this.#log.debug({ err: error, callId: this.callId }, 'BYE failed; the dialog is gone anyway');
    }
  }

  /** The drachtio connection dropped: the call is out of our hands. */
  transportLost(): void {
    this.#end('transport-lost');
  }

  #end(reason: CallEndReason): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const handler of this.#endedHandlers.splice(0)) handler(reason);
  }
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
