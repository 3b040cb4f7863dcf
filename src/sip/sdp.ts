// Just enough SDP for call control: which media an offer carries and whether a re-INVITE is a
// session refresh (same o= session id and version, RFC 3264 §8). Full T.38 attribute negotiation
// belongs to src/media; this module stays deliberately small so it can be replaced.

export interface SdpOrigin {
  readonly sessionId: string;
  readonly version: string;
}

const MAX_SDP_CHARS = 16 * 1024;

export function sdpOrigin(sdp: string): SdpOrigin | undefined {
  if (sdp.length > MAX_SDP_CHARS) return undefined;
  const match = /^o=\S+ (\S+) (\S+) /m.exec(sdp);
  return match === null ? undefined : { sessionId: match[1] ?? '', version: match[2] ?? '' };
}

/** A re-INVITE that changes nothing: no body (RFC 4028 refresh) or an unchanged o= line. */
export function isSessionRefresh(previousRemoteSdp: string, offer: string): boolean {
  if (offer.trim() === '') return true;
  const before = sdpOrigin(previousRemoteSdp);
  const after = sdpOrigin(offer);
  return (
    before !== undefined &&
    after !== undefined &&
    before.sessionId === after.sessionId &&
    before.version === after.version
  );
}

/** True when the SDP offers T.38 over UDPTL (an `m=image … udptl t38` line with a port). */
export function offersT38(sdp: string): boolean {
  return /^m=image [1-9]\d* udptl t38/im.test(sdp);
}
