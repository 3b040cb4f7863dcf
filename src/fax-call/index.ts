// Fax calls: a SIP call (src/sip) carrying a fax (src/media + src/fax), audio first and T.38 by
// re-INVITE. For the CLI's SIP mode and tests; the clustered switch composes the same pieces.
export {
  FaxCallLeg,
  parseAudioMedia,
  receivedFile,
  type FaxCallLegOptions,
  type FaxCallOutcome,
} from './fax-call-leg.ts';
export {
  FaxStation,
  receiveFaxOverSip,
  sendFaxOverSip,
  type DialRequest,
  type FaxStationOptions,
  type SipFaxOutcome,
  type StationDecision,
  type StationFax,
  type StationSettings,
} from './sip-fax.ts';
