// The call-control port: what the fax layer sees of SIP. Our own types only; drachtio-srf's loose
// types stay inside src/sip. A call starts on audio; either side may re-INVITE to T.38; a refused
// re-INVITE (488) keeps the current media; session refreshes never reach the fax layer.

/** Which T.38 switches a trunk (or inbound traffic) allows. */
export type T38Policy = 'offer-on-reinvite' | 'accept-peer' | 'force-audio';
export const T38_POLICIES: readonly T38Policy[] = ['offer-on-reinvite', 'accept-peer', 'force-audio'];

export interface InboundOffer {
  readonly callId: string;
  /** Calling number (user part of P-Asserted-Identity or From). */
  readonly caller: string;
  readonly callerName: string;
  /** Dialled number: user part of the Request-URI, else of To. */
  readonly did: string;
  readonly sdp: string;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly source: { readonly address: string; readonly port: number; readonly protocol: string };
}

export type InboundDecision =
  | { readonly kind: 'answer'; readonly sdp: string }
  | {
      readonly kind: 'reject';
      readonly status: number;
      readonly reason?: string;
      readonly headers?: Readonly<Record<string, string>>;
    };

export interface InboundCallHandler {
  /** Decide what to do with a new call. `cancelled` aborts if the caller gives up first. */
  offer(offer: InboundOffer, cancelled: AbortSignal): Promise<InboundDecision>;
  /** The answered call. */
  answered(session: CallSession, offer: InboundOffer): void;
}

export type ModifyResult =
  | { readonly accepted: true; readonly remoteSdp: string }
  /** Refused by the peer (its status) or by our T.38 policy (`byPolicy`); media is unchanged. */
  | { readonly accepted: false; readonly status: number; readonly byPolicy: boolean };

export type PeerOfferDecision =
  { readonly kind: 'accept'; readonly sdp: string } | { readonly kind: 'refuse'; readonly status: number };

export type CallEndReason = 'remote-hangup' | 'local-hangup' | 'transport-lost';

export interface CallSession {
  readonly callId: string;
  readonly direction: 'inbound' | 'outbound';
  readonly t38Policy: T38Policy;
  /** The trunk an outbound call went through. */
  readonly trunk: string | undefined;
  readonly localSdp: string;
  readonly remoteSdp: string;
  readonly ended: boolean;
  /** Session refreshes answered here without telling the fax layer. */
  readonly refreshCount: number;
  /** Our re-INVITE (audio → T.38, or back). */
  modify(sdp: string): Promise<ModifyResult>;
  /** The peer's new offer (never a refresh). Without a handler, offers are refused with 488. */
  onPeerOffer(handler: (sdp: string) => Promise<PeerOfferDecision>): void;
  onEnded(handler: (reason: CallEndReason) => void): void;
  hangup(): Promise<void>;
}

export interface FaxJobTag {
  readonly job: string;
  readonly attempt: number;
  readonly epoch: number;
}

export interface TrunkInfo {
  readonly name: string;
  readonly codecs: readonly string[];
  readonly t38Policy: T38Policy;
}

export interface Provisional {
  readonly status: number;
  readonly reason: string;
  readonly trunk: string;
  /** Early media SDP, if the 18x carried one. */
  readonly sdp: string | undefined;
}

export interface DialRequest {
  /** Number to call (user part of the Request-URI). */
  readonly to: string;
  readonly callerId: { readonly number: string; readonly name?: string };
  /** Our offer; a function gets the trunk so it can pick that trunk's codecs. */
  readonly sdp: string | ((trunk: TrunkInfo) => string);
  readonly job?: FaxJobTag;
  /** Dial through this trunk only, without failover: the caller chooses trunks itself (a
   * cluster-wide work queue per trunk caps its channels). Default: every trunk in order. */
  readonly trunk?: string;
  /** The caller has already waited for this call's place in the trunk's calls-per-second pace,
   * kept for the whole cluster (`ClusterPacer`); this node's own pace is then not applied. */
  readonly paced?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
  readonly onProvisional?: (provisional: Provisional) => void;
  /** Aborting sends CANCEL. */
  readonly signal?: AbortSignal;
}

/** `X-Fax-Job: <job>;attempt=<n>;epoch=<e>` — the edge rejects a stale epoch. */
export function formatFaxJobHeader(tag: FaxJobTag): string {
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(tag.job))
    throw new RangeError(`fax job id '${tag.job}' is not a SIP token`);
  return `${tag.job};attempt=${tag.attempt};epoch=${tag.epoch}`;
}

export interface CallControl {
  onInbound(handler: InboundCallHandler): void;
  /** Dials through the trunks in order; throws a typed error from ./errors.ts on failure. */
  dial(request: DialRequest): Promise<CallSession>;
}
