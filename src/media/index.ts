// Media transport in TypeScript: UDPTL (T.38) with redundancy/FEC, RTP with G.711 and a jitter
// buffer, T.38 SDP negotiation, the 20 ms media clock, UDP port allocation, and fax channels that
// bind a socket to a SpanDSP session, spread over worker threads.
export {
  decodeUdptl,
  encodeUdptl,
  UdptlDecodeError,
  UdptlReceiver,
  UdptlSender,
  type ErrorCorrection,
  type IfpDelivery,
  type UdptlPacket,
  type UdptlReceiverStats,
  type UdptlSenderOptions,
} from './udptl.ts';
export { g711Decode, g711Encode, G711_PAYLOAD_TYPE, type G711Law } from './g711.ts';
export { decodeRtp, encodeRtp, JitterBuffer, RtpDecodeError, type RtpPacket } from './rtp.ts';
export {
  answerT38,
  DEFAULT_T38_PARAMS,
  engineParamsFor,
  errorCorrectionFor,
  formatT38Media,
  parseT38Media,
  SdpError,
  type T38Media,
  type T38RateManagement,
  type T38SdpParams,
  type T38UdpEc,
} from './sdp.ts';
export {
  MEDIA_THREAD_SLICE_US,
  MediaClock,
  type ClockDeps,
  type ClockStats,
  type MediaClockOptions,
} from './clock.ts';
export { MediaCapacityError, PortAllocator } from './ports.ts';
export {
  FaxChannel,
  type Endpoint,
  type FaxChannelEvents,
  type FaxChannelSpec,
  type FaxChannelStats,
  type MediaSpec,
} from './channel.ts';
export { MediaChannel, MediaNode, type ChannelOutcome, type MediaNodeOptions } from './media-node.ts';
export type { WorkerStats } from './worker-protocol.ts';
