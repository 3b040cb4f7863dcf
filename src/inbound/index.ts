// Fax2Email: inbound fax calls answered on this node, their pages kept encrypted as they arrive, and
// each fax emailed to the number's recipients exactly once; records, retention and metrics.
export { FaxReception, INBOUND_FAX_CALL, type ReceptionOptions } from './reception.ts';
export { registerCallEffects, FAX_EMAIL_DELIVERY, type CallEffectsOptions } from './call-effects.ts';
export { registerEmailDeliveryEffects, purgeFax, type EmailDeliveryOptions } from './email-delivery.ts';
export { FaxRecords, faxSummary, type InboundFaxRecord, type InboundFaxStatus } from './fax-records.ts';
export { InboundMetrics, type CallRefusal } from './inbound-metrics.ts';
export { RetentionSweeper } from './retention.ts';
export { deliveryActorId, pageObjectId, documentObjectId } from './object-ids.ts';
export { WebhookNotifier, type WebhookNotifierOptions } from './webhook.ts';
