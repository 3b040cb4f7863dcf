// Pure XState v5 machines. No I/O, no clock, no randomness: imports `xstate` and `actors/` only.
// Effects are declared by name; their handlers live in src/.
export {
  HostEvent,
  type HostEventObject,
  type EffectDoneEvent,
  type EffectFailedEvent,
  type TimerEvent,
} from './host-events.ts';
export {
  probeJobMachine,
  probeJobDeadline,
  type ProbeJobInput,
  type ProbeJobContext,
  type ProbeJobEvent,
} from './probe-job.ts';
export {
  outboundFaxJobMachine,
  outboundFaxJobStatus,
  outboundFaxJobDeadline,
  decideAfterCall,
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  type CallOutcome,
  type PlaceCallParams,
  type ReportParams,
  type RetryDecision,
  type JobResult,
  type Transport,
  type OutboundFaxJobInput,
  type OutboundFaxJobContext,
  type OutboundFaxJobEvent,
  type OutboundFaxJobStatus,
} from './outbound-fax-job.ts';
export {
  inboundFaxCallMachine,
  type InboundFaxCallInput,
  type InboundFaxCallContext,
  type InboundFaxCallEvent,
  type ReceiveOutcome,
  type HandOverParams,
} from './inbound-fax-call.ts';
export {
  faxEmailDeliveryMachine,
  faxEmailDeliveryDeadline,
  DEFAULT_EMAIL_RETRY_POLICY,
  type EmailRetryPolicy,
  type FaxEmailDeliveryInput,
  type FaxEmailDeliveryContext,
  type FaxEmailDeliveryEvent,
  type SendOutcome,
} from './fax-email-delivery.ts';
export {
  campaignMachine,
  campaignDeadline,
  campaignStatus,
  type CampaignInput,
  type CampaignContext,
  type CampaignControl,
  type CampaignEvent,
  type IngestSummary,
  type DispatchResult,
} from './campaign.ts';
export {
  campaignRecipientMachine,
  campaignRecipientDeadline,
  DEFAULT_LETTER_RETRY_POLICY,
  type CampaignRecipientInput,
  type CampaignRecipientContext,
  type CampaignRecipientEvent,
  type LetterChannel,
  type LetterOutcome,
  type LetterRetryPolicy,
  type RecordLetterParams,
} from './campaign-recipient.ts';
