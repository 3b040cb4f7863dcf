// Email: delivery through the relay, and the messages faxswitch sends.
export {
  SmtpRelay,
  SmtpPermanentError,
  SmtpTemporaryError,
  classifySmtpError,
  type SmtpRelayOptions,
  type SentMessage,
} from './smtp-relay.ts';
export {
  composeFaxEmail,
  compileFaxEmailTemplates,
  faxMessageId,
  DEFAULT_FAX_EMAIL_TEMPLATES,
  FAX_EMAIL_FIELDS,
  type ReceivedFaxSummary,
  type FaxEmailAttachment,
  type FaxEmailInput,
  type FaxEmailTemplates,
} from './fax-email.ts';
export {
  createSubmissionServer,
  createMxServer,
  faxDocumentsOf,
  queueFax,
  senderIsVerified,
  type FaxRequest,
  type FaxDocument,
  type FaxSubmission,
  type IntakePorts,
  type CampaignMessage,
  CAMPAIGN_MAILBOX,
  type Preflight,
  type SubmitResult,
  type SmtpIntakeOptions,
} from './smtp-intake.ts';
export { smtpReplyFor, type SmtpReply } from './smtp-reply.ts';
export { sendOnce, type SendOnceOptions } from './send-once.ts';
export {
  composeStatusEmail,
  compileStatusEmailTemplates,
  statusMessageId,
  DEFAULT_STATUS_EMAIL_TEMPLATES,
  STATUS_EMAIL_FIELDS,
  type FaxJobReport,
  type StatusEmailInput,
  type StatusEmailTemplates,
} from './status-email.ts';
export { encryptEmail, checkPublicKey, InvalidPublicKeyError } from './pgp-mime.ts';
export { MailReceipts, type MailReceipt, type ReceiptSlot } from './mail-receipts.ts';
