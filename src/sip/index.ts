// SIP signalling: the call-control port, the drachtio-srf adapter that implements it, trunks, and
// the embedded drachtio-compatible server for one machine and for tests.
export {
  T38_POLICIES,
  formatFaxJobHeader,
  type CallControl,
  type CallEndReason,
  type CallSession,
  type DialRequest,
  type FaxJobTag,
  type InboundCallHandler,
  type InboundDecision,
  type InboundOffer,
  type ModifyResult,
  type PeerOfferDecision,
  type Provisional,
  type T38Policy,
  type TrunkInfo,
} from './call-control.ts';
export {
  BadNumberError,
  CallBusyError,
  CallRefusedError,
  CallRejectedError,
  CongestionError,
  MediaRefusedError,
  NoAnswerError,
  errorForStatus,
  isTrunkFailure,
  retryAfterMsFrom,
} from './errors.ts';
export { isSessionRefresh, offersT38, sdpOrigin } from './sdp.ts';
export { TrunkPool, type TrunkConfig, type TrunkLease } from './trunks.ts';
export { parseTrunkConfigs, SipConfigError } from './trunk-config.ts';
export {
  SrfSignalling,
  type DidStatus,
  type DrachtioConnection,
  type InboundPolicy,
  type SrfSignallingOptions,
} from './srf-adapter.ts';
export {
  EmbeddedDrachtioServer,
  type EmbeddedServerOptions,
  type EmbeddedServerStats,
} from './embedded-server/server.ts';
export { startSipNode, type DrachtioChoice, type SipNode, type SipNodeOptions } from './sip-node.ts';
