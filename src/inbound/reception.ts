// Answering inbound fax calls on this node. For a call to an active number it records the fax,
// opens the media, creates the fax's actor (durably, before the 200 OK, so an answered call is never
// unknown to the cluster) and answers; then each page the engine confirms is sealed into the archive
// and announced to the actor before the next one counts. The `receiveFax` effect waits here for the
// call to end. A peer that resumes the actor after this node died finds no call here: `lost`.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { ReceiveOutcome } from '../../actors/index.ts';
import type { ActorEvent, ActorHost } from '../../cluster/index.ts';
import type { FaxArchive } from '../archive/index.ts';
import type { DidRecord, DidRegistry } from '../dids/index.ts';
import { writeTiff } from '../documents/index.ts';
import { t30CodeName, type ConfirmedPage, type FaxNegotiated } from '../fax/index.ts';
import { FaxCallLeg, parseAudioMedia, receivedFile, type FaxCallOutcome } from '../fax-call/index.ts';
import { MediaCapacityError, type MediaNode, type T38SdpParams } from '../media/index.ts';
import type { Logger } from '../observability/index.ts';
import type {
  CallSession,
  InboundCallHandler,
  InboundDecision,
  InboundOffer,
  InboundPolicy,
} from '../sip/index.ts';
import type { FaxRecords } from './fax-records.ts';
import type { InboundMetrics } from './inbound-metrics.ts';
import { newFaxId, pageObjectId } from './object-ids.ts';

export const INBOUND_FAX_CALL = 'inbound-fax-call';

export interface ReceptionOptions {
  readonly host: ActorHost;
  readonly dids: DidRegistry;
  readonly records: FaxRecords;
  readonly archive: FaxArchive;
  readonly media: MediaNode;
  /** Address of our media sockets, announced in SDP. */
  readonly mediaAddress: string;
  /** Our T.38 parameters; undefined keeps every call on G.711. */
  readonly t38: T38SdpParams | undefined;
  /** Where SpanDSP writes the pages of calls in progress (plaintext: deleted when the call ends). */
  readonly callsDir: string;
  readonly nodeName: string;
  /** Concurrent calls this node answers. */
  readonly maxCalls: number;
  readonly unknownDidStatus: 404 | 480 | 603;
  readonly retryAfterSeconds: number;
  readonly logger: Logger;
  readonly metrics: InboundMetrics;
  readonly clock?: () => number;
}

/** How long the answering side waits for the caller's BYE before sending its own. */
const BYE_GRACE_MS = 3_000;
/** Attempts to persist one page before it is given up (the call goes on; the page is missing). */
const PAGE_STORE_ATTEMPTS = 5;

export class FaxReception implements InboundCallHandler {
  readonly #options: ReceptionOptions;
  readonly #clock: () => number;
  readonly #byFax = new Map<string, LiveReception>();
  readonly #byCall = new Map<string, LiveReception>();
  /** Calls not yet over: what capacity counts (a finished call stays findable a while longer). */
  readonly #inProgress = new Set<LiveReception>();
  #accepting = true;

  constructor(options: ReceptionOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
  }

  /** What the SIP layer asks before handing us a call. */
  policy(): InboundPolicy {
    const { dids, unknownDidStatus, retryAfterSeconds, metrics, t38 } = this.#options;
    return {
      lookupDid: async (did) => {
        const record = await dids.lookup(did);
        if (record?.active) return 'active';
        metrics.refused('unknown_did');
        return record ? 'inactive' : 'unknown';
      },
      unknownDidStatus,
      hasCapacity: () => {
        const free = this.hasCapacity();
        if (!free) this.#refusedForCapacity(undefined);
        return free;
      },
      retryAfterSeconds,
      t38Policy: t38 ? 'offer-on-reinvite' : 'force-audio',
    };
  }

  hasCapacity(): boolean {
    return this.#accepting && this.#inProgress.size < this.#options.maxCalls;
  }

  /** Counts and logs a call turned away because the node is full or draining. */
  #refusedForCapacity(did: string | undefined): void {
    this.#options.metrics.refused('no_capacity');
    this.#options.logger.warn(
      { did, calls: this.#inProgress.size, accepting: this.#accepting },
      'inbound fax call refused: no capacity',
    );
  }

  get activeCalls(): number {
    return this.#inProgress.size;
  }

  /** Refuses new calls from now on (draining); calls in progress go on. */
  stopAccepting(): void {
    this.#accepting = false;
  }

  /** Settles when every call in progress has ended and its pages are stored, or at `deadline`. */
  async callsEnded(deadline: number): Promise<boolean> {
    while (this.#inProgress.size > 0 && this.#clock() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    return this.#inProgress.size === 0;
  }

  /** Hangs up every call in progress (their pages so far are kept and delivered as partial). */
  hangUpAll(): void {
    for (const live of this.#inProgress) live.leg?.abort();
  }

  async offer(offer: InboundOffer, cancelled: AbortSignal): Promise<InboundDecision> {
    const { metrics, logger } = this.#options;
    const busy = {
      kind: 'reject',
      status: 503,
      headers: { 'Retry-After': String(this.#options.retryAfterSeconds) },
    } as const;
    const did = await this.#options.dids.lookup(offer.did);
    if (!did?.active) {
      metrics.refused('unknown_did');
      return { kind: 'reject', status: this.#options.unknownDidStatus };
    }
    const audio = parseAudioMedia(offer.sdp);
    if (!audio) {
      metrics.refused('no_audio');
      return { kind: 'reject', status: 488, reason: 'G.711 audio required' };
    }
    if (!this.hasCapacity()) {
      this.#refusedForCapacity(offer.did);
      return busy;
    }
    const answeredAt = this.#clock();
    const faxId = newFaxId(answeredAt);
    const live = new LiveReception(faxId, did, offer, this.#options);
    this.#byFax.set(faxId, live);
    this.#byCall.set(offer.callId, live);
    this.#inProgress.add(live);
    const log = logger.child({ faxId, did: did.number, caller: offer.caller, callId: offer.callId });
    try {
      live.leg = await FaxCallLeg.open(
        {
          media: this.#options.media,
          address: this.#options.mediaAddress,
          job: { direction: 'receive', file: live.file, ident: did.stationId, ecm: true },
          calling: false,
          t38: this.#options.t38,
          events: {
            onNegotiated: (negotiated) => live.negotiated(negotiated),
            onPageConfirmed: (page) => live.pageConfirmed(page),
          },
        },
        audio.law,
      );
      await this.#options.records.create({
        faxId,
        did: did.number,
        account: did.account,
        caller: offer.caller,
        recipients: did.recipients,
        attachmentFormat: did.attachmentFormat,
        retention: did.retention,
        ...(did.pgpPublicKey ? { pgpPublicKey: did.pgpPublicKey } : {}),
        ...(did.webhookUrl ? { webhookUrl: did.webhookUrl } : {}),
        answeredAt,
        node: this.#options.nodeName,
        status: 'receiving',
      });
      await this.#options.host.spawn(INBOUND_FAX_CALL, faxId, {
        faxId,
        callId: offer.callId,
        did: did.number,
        caller: offer.caller,
        answeredAt,
      });
    } catch (error) {
      live.leg?.abort();
      this.#forget(live);
      const why = error instanceof MediaCapacityError ? 'no_capacity' : 'not_stored';
      metrics.refused(why);
      log.warn({ err: error }, 'inbound fax call refused: could not set it up');
      return busy;
    }
    // The actor exists: from here on the fax ends through it, answered or not.
    cancelled.addEventListener('abort', () => live.leg?.abort(), { once: true });
    if (cancelled.aborted) live.leg.abort();
    void this.#finish(live);
    metrics.calls.inc({ result: 'answered' });
    metrics.activeCalls.inc();
    log.info('answering inbound fax call');
    return { kind: 'answer', sdp: live.leg.audioSdp() };
  }

  answered(session: CallSession, offer: InboundOffer): void {
    const live = this.#byCall.get(offer.callId);
    const leg = live?.leg;
    if (!leg) return;
    leg.attach(session);
    // Offer T.38 at once rather than wait for fax tones on audio, as fax gateways do.
    if (this.#options.t38) void leg.offerT38();
  }

  /** The `receiveFax` effect: the call's end, or `lost` when the call is not on this node. */
  async outcomeOf(faxId: string): Promise<ReceiveOutcome> {
    const live = this.#byFax.get(faxId);
    if (!live) return { kind: 'lost', endedAt: this.#clock() };
    return live.outcome;
  }

  async #finish(live: LiveReception): Promise<void> {
    const leg = live.leg!;
    let ended: FaxCallOutcome | undefined;
    try {
      ended = await leg.finished();
      await leg.hangup(BYE_GRACE_MS);
    } finally {
      await live.settle(ended);
      this.#inProgress.delete(live);
      this.#options.metrics.activeCalls.dec();
      // Keep the entry until the actor has the outcome: the effect may be asking for it right now.
      setTimeout(() => this.#forget(live), 60_000).unref();
    }
  }

  #forget(live: LiveReception): void {
    this.#inProgress.delete(live);
    if (this.#byFax.get(live.faxId) === live) this.#byFax.delete(live.faxId);
    if (this.#byCall.get(live.callId) === live) this.#byCall.delete(live.callId);
  }
}

/** One call being received on this node. */
class LiveReception {
  readonly faxId: string;
  readonly callId: string;
  readonly file: string;
  readonly outcome: Promise<ReceiveOutcome>;
  leg: FaxCallLeg | undefined;
  readonly #options: ReceptionOptions;
  readonly #log: Logger;
  #settle!: (outcome: ReceiveOutcome) => void;
  /** Actor events in call order: a page is announced only after the one before it. */
  #queue: Promise<void> = Promise.resolve();
  #pagesStored = 0;

  constructor(faxId: string, did: DidRecord, offer: InboundOffer, options: ReceptionOptions) {
    this.faxId = faxId;
    this.callId = offer.callId;
    this.file = path.join(options.callsDir, `${faxId}.tif`);
    this.#options = options;
    this.#log = options.logger.child({ faxId, did: did.number });
    this.outcome = new Promise((resolve) => (this.#settle = resolve));
  }

  negotiated(negotiated: FaxNegotiated): void {
    const transport = this.leg?.media ?? 'audio';
    this.#log.info({ transport, ...negotiated }, 'fax negotiated');
    this.#announce({
      type: 'call.negotiated',
      transport,
      remoteStationId: negotiated.remoteIdent,
      bitRate: negotiated.bitRate,
      ecm: negotiated.ecm,
    });
  }

  pageConfirmed(confirmed: ConfirmedPage): void {
    const page = confirmed.page;
    if (!page) return;
    const number = confirmed.pageNumber;
    const objectId = pageObjectId(this.faxId, number);
    // Sealed as a one-page TIFF G4: small, self-describing, and what the email's TIFF is built from.
    const quality = {
      badLines: confirmed.badRows,
      consecutiveBadLines: confirmed.longestBadRowRun,
      problem: undefined,
    };
    const tiff = Buffer.from(writeTiff([{ ...page, quality }], { compression: 'g4' }));
    this.#queue = this.#queue.then(async () => {
      await this.#persist(`page ${number}`, async () => {
        await this.#options.archive.put(objectId, tiff);
        await this.#options.host.send(this.faxId, { type: 'call.pageReceived', page: number, objectId });
      });
      this.#pagesStored += 1;
      this.#options.metrics.pages.inc();
      this.#log.info({ page: number, badRows: confirmed.badRows }, 'page stored');
    });
  }

  /** The call is over: wait for its pages to be stored, clean up, and give the actor the outcome. */
  async settle(ended: FaxCallOutcome | undefined): Promise<void> {
    await this.#queue;
    for (const kind of ['audio', 't38'] as const)
      await rm(receivedFile(this.file, kind), { force: true }).catch(() => undefined);
    const endedAt = (this.#options.clock ?? Date.now)();
    const result = ended?.result;
    if (result && !result.ok) this.#options.metrics.failures.inc({ reason: t30CodeName(result.code) });
    this.#log.info(
      { ok: result?.ok ?? false, pages: this.#pagesStored, media: ended?.media, result: result?.text },
      'inbound fax call ended',
    );
    this.#settle(
      result?.ok
        ? { kind: 'completed', result: result.text, endedAt }
        : { kind: 'failed', result: result?.text ?? 'the call could not be set up', endedAt },
    );
  }

  #announce(event: ActorEvent): void {
    this.#queue = this.#queue.then(() =>
      this.#persist(event.type, () => this.#options.host.send(this.faxId, event)),
    );
  }

  async #persist(what: string, store: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await store();
        return;
      } catch (error) {
        if (attempt >= PAGE_STORE_ATTEMPTS) {
          this.#log.error({ err: error, what }, 'could not persist; the fax goes on without it');
          return;
        }
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      }
    }
  }
}
