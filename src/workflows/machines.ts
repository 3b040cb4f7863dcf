// The fax machines as the cluster hosts them: each pure machine from actors/ with the version
// stored beside its snapshots, the action names that are effects, and where its deadline lives.
// Bump a version whenever a stored snapshot of the previous one would not restore as it is, and
// record golden fixtures of the new version (scripts/record-snapshot-fixtures.ts).
import {
  campaignDeadline,
  campaignMachine,
  campaignRecipientDeadline,
  campaignRecipientMachine,
  faxEmailDeliveryDeadline,
  faxEmailDeliveryMachine,
  inboundFaxCallMachine,
  outboundFaxJobDeadline,
  outboundFaxJobMachine,
} from '../../actors/index.ts';
import { defineMachine, type MachineDefinition } from '../../cluster/index.ts';

export const outboundFaxJob = defineMachine({
  name: 'outbound-fax-job',
  version: 1,
  logic: outboundFaxJobMachine,
  effects: ['placeCall', 'hangUp', 'reportStatus'],
  nextDeadline: outboundFaxJobDeadline,
});

export const inboundFaxCall = defineMachine({
  name: 'inbound-fax-call',
  version: 1,
  logic: inboundFaxCallMachine,
  effects: ['receiveFax', 'handOver'],
});

/** Emailing a fax: the outbox machine, its effects and its retry deadline. */
const faxEmailOutbox = {
  version: 1,
  logic: faxEmailDeliveryMachine,
  effects: ['buildDocuments', 'sendFaxEmail', 'deleteContent', 'recordResult'],
  nextDeadline: faxEmailDeliveryDeadline,
};

export const faxEmailDelivery = defineMachine({ name: 'fax-email-delivery', ...faxEmailOutbox });

/** An outbound job's report to its sender: the same outbox as a received fax's email (its `faxId`
 * is the job id), under its own name so its effects are the report's. */
export const faxJobReport = defineMachine({ name: 'fax-job-report', ...faxEmailOutbox });

export const campaign = defineMachine({
  name: 'campaign',
  version: 1,
  logic: campaignMachine,
  effects: ['ingestRecipients', 'dispatchRecipients', 'sendReport'],
  nextDeadline: campaignDeadline,
});

export const campaignRecipient = defineMachine({
  name: 'campaign-recipient',
  version: 1,
  logic: campaignRecipientMachine,
  effects: ['deliverLetter', 'recordOutcome'],
  nextDeadline: campaignRecipientDeadline,
});

export const FAX_MACHINES: readonly MachineDefinition[] = [
  outboundFaxJob,
  inboundFaxCall,
  faxEmailDelivery,
  faxJobReport,
  campaign,
  campaignRecipient,
];
