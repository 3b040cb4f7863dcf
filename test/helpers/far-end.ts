// The far end of outbound faxes: a FaxStation (SpanDSP behind its own embedded SIP server) in the
// test process that a node's trunk points at, playing the carrier and the receiving fax machines.
// It answers any number, records every offer and every answered call with the pages it confirmed
// (as SpanDSP wrote them, taken the moment each page is confirmed, so a call whose caller died
// shows its pages before its own timers end it), and can be told, per call, to answer slowly or to
// drop the line after a page — the faults outbound jobs must survive.
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FaxPage } from '../../src/documents/index.ts';
import { FaxStation, type SipFaxOutcome } from '../../src/fax-call/index.ts';
import { DEFAULT_T38_PARAMS } from '../../src/media/index.ts';
import { createLogger } from '../../src/observability/index.ts';
import { makeTempDir } from './services.ts';
import { waitFor } from './wait.ts';

export interface ReceivedFax {
  readonly did: string;
  readonly caller: string;
  /** Pages the station confirmed (MCF), in order, as they were confirmed. */
  readonly pages: FaxPage[];
  /** Set when the call has ended. */
  outcome: SipFaxOutcome | undefined;
}

export interface CallBehaviour {
  /** Answer only after this long (no provisional response meanwhile). */
  readonly answerAfterMs?: number;
  /** Drop the line shortly after confirming this page. */
  readonly dropAfterPage?: number;
}

export interface Offer {
  readonly did: string;
  readonly at: number;
  readonly headers: Readonly<Record<string, string>>;
}

export class FarEnd {
  readonly offers: Offer[] = [];
  /** Every answered call, in the order they were answered. */
  readonly calls: ReceivedFax[] = [];
  readonly #station: FaxStation;
  readonly #dir = makeTempDir('faxswitch-far-end-');
  #behaviour: (offer: Offer, index: number) => CallBehaviour = () => ({});
  #calls = 0;

  private constructor(station: FaxStation) {
    this.#station = station;
  }

  static async open(options: { mediaPorts?: { min: number; max: number } } = {}): Promise<FarEnd> {
    const station = await FaxStation.open({
      host: '127.0.0.1',
      maxCalls: 8,
      mediaPorts: options.mediaPorts ?? { min: 30_000, max: 31_999 },
      t38: DEFAULT_T38_PARAMS,
      logger: createLogger({
        level: 'error',
        nodeName: 'far-end',
        destination: new Writable({ write: (_chunk, _encoding, done) => done() }),
      }),
    });
    const farEnd = new FarEnd(station);
    farEnd.#answer();
    return farEnd;
  }

  /** Where a trunk sends its INVITEs (UDP). */
  get proxy(): string {
    return `127.0.0.1:${this.#station.listening.udpPort}`;
  }

  /** How each new call is treated; `index` counts calls from 0. */
  behave(decide: (offer: Offer, index: number) => CallBehaviour): void {
    this.#behaviour = decide;
  }

  /** Calls that have ended, in the order they were answered. */
  get faxes(): ReceivedFax[] {
    return this.calls.filter((call) => call.outcome !== undefined);
  }

  waitForFaxes(count: number, timeoutMs = 120_000): Promise<ReceivedFax[]> {
    return waitFor(() => (this.faxes.length >= count ? this.faxes : undefined), {
      timeoutMs,
      intervalMs: 100,
      what: `${count} fax(es) at the far end`,
    });
  }

  /** Waits until `count` calls to `did` have ended successfully (after their line was hung up). */
  waitForFaxesTo(did: string, count: number, timeoutMs = 30_000): Promise<ReceivedFax[]> {
    return waitFor(
      () => {
        const ended = this.faxes.filter((fax) => fax.did === did);
        return ended.length >= count ? ended : undefined;
      },
      { timeoutMs, intervalMs: 100, what: `${count} ended call(s) to ${did} at the far end` },
    );
  }

  /** Every answered call to `did`, ended or not. */
  callsTo(did: string): ReceivedFax[] {
    return this.calls.filter((call) => call.did === did);
  }

  close(): Promise<void> {
    return this.#station.close();
  }

  #answer(): void {
    const byCall = new Map<string, { file: string; fax: ReceivedFax }>();
    this.#station.answer(
      async (sipOffer) => {
        const offer: Offer = { did: sipOffer.did, at: Date.now(), headers: sipOffer.headers };
        this.offers.push(offer);
        const behaviour = this.#behaviour(offer, this.#calls);
        this.#calls += 1;
        if (behaviour.answerAfterMs) await new Promise((r) => setTimeout(r, behaviour.answerAfterMs));
        const file = path.join(this.#dir, `call-${this.#calls}.tif`);
        const fax: ReceivedFax = {
          did: sipOffer.did,
          caller: sipOffer.caller,
          pages: [],
          outcome: undefined,
        };
        byCall.set(sipOffer.callId, { file, fax });
        this.calls.push(fax);
        const drop = new AbortController();
        return {
          job: { direction: 'receive', file, ecm: true, ident: `FAR END ${sipOffer.did}`.slice(0, 20) },
          timeoutMs: 240_000,
          signal: drop.signal,
          events: {
            onPageConfirmed: (confirmed) => {
              if (confirmed.page) fax.pages.push(confirmed.page);
              // After our MCF has been heard: V.21 at 300 bit/s takes about a second for its preamble
              // and frame, and the caller must have it before the line goes.
              if (confirmed.pageNumber === behaviour.dropAfterPage) setTimeout(() => drop.abort(), 2_500);
            },
          },
        };
      },
      (outcome, offer) => {
        const call = byCall.get(offer.callId);
        if (!call) return;
        byCall.delete(offer.callId);
        call.fax.outcome = outcome;
      },
      () => undefined,
    );
  }
}
