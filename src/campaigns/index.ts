// Serial letters: campaigns taken in from a template and a recipients list, each recipient's letter
// delivered by email when the row has an address, otherwise by fax; opt-outs, duplicates, pacing,
// pause/resume/cancel, and one report per campaign.
export {
  CampaignStore,
  type CampaignSettings,
  type CampaignCounts,
  type EmailMode,
  type IntakeRecord,
  type RecipientRow,
  type RowOutcome,
  type RowResult,
} from './campaign-store.ts';
export {
  registerCampaignEffects,
  recipientActorId,
  CAMPAIGN,
  type CampaignEffectsOptions,
} from './campaign-effects.ts';
export {
  registerLetterDeliveryEffects,
  CAMPAIGN_RECIPIENT,
  type LetterDeliveryOptions,
  type LetterFaxSender,
} from './letter-delivery.ts';
export { registerCampaignApi, startCampaign, CAMPAIGN_API, type CampaignAction } from './campaign-api.ts';
export { startCampaignFromMessage, campaignIdOf } from './campaign-mail.ts';
export { stageCampaign, newCampaignId, type StagedCampaign } from './staging.ts';
export { CampaignTemplates } from './campaign-templates.ts';
export { CampaignMetrics } from './campaign-metrics.ts';
export { DomainThrottle } from './domain-throttle.ts';
export { readRecipientList, listColumns, RecipientListError, type ListEntry } from './recipient-list.ts';
