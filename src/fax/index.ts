// The fax engine: SpanDSP 0.0.6 through our N-API addon (T.38 and audio terminals, gateway, tone
// detection), typed T.30 errors, and the per-page durability hook. No sockets here: src/media
// carries the packets.
export {
  AudioTerminal,
  ConnectToneDetector,
  T38Gateway,
  T38Terminal,
  t30Config,
  type AudioTerminalOptions,
  type ConfirmedPage,
  type ConnectTone,
  type FaxEvents,
  type FaxJobOptions,
  type FaxNegotiated,
  type FaxResult,
  type GatewayStats,
  type T38GatewayOptions,
  type T38SessionParams,
  type T38TerminalOptions,
} from './engine.ts';
export {
  FaxFileError,
  FaxOptionsError,
  FaxRetryableError,
  FaxTerminalError,
  faxErrorFromCompletion,
  T30_ERR_CALLDROPPED,
  t30CodeName,
  type FaxError,
  type FaxFailureDetails,
} from './errors.ts';
export { SAMPLES_PER_TICK, TICK_MS, type FaxCompression, type FaxModem } from './constants.ts';
export { nativeBinding, type NativeStats } from './binding.ts';
