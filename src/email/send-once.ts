// Sending one email exactly once through the relay, whoever tries: the mail server's receipt is
// recorded the moment its 250 arrives, and a repeated attempt (a retry, or a peer after a takeover)
// answers from that receipt instead of sending again. The outcome is data for the delivering
// machine, which schedules its own retries of temporary refusals (minutes to days).
import type Mail from 'nodemailer/lib/mailer/index.js';
import type { SendOutcome } from '../../actors/index.ts';
import type { MailReceipt, ReceiptSlot } from './mail-receipts.ts';
import { SmtpPermanentError, SmtpTemporaryError, type SentMessage, type SmtpRelay } from './smtp-relay.ts';

export interface SendOnceOptions {
  /** Undefined until a relay is configured: the email waits (a temporary outcome). */
  readonly relay: SmtpRelay | undefined;
  /** Where this email's receipt is kept. */
  readonly receipt: ReceiptSlot;
  /** Builds the message; called only when it is really to be sent. */
  readonly compose: () => Promise<Mail.Options>;
  readonly now: () => number;
  /** Told of a send the server accepted (logs, metrics); not of an answer from the record. */
  readonly onAccepted?: (sent: SentMessage) => void;
}

export async function sendOnce(options: SendOnceOptions): Promise<SendOutcome> {
  const accepted = await options.receipt.find();
  if (accepted) return { kind: 'accepted', ...accepted };
  if (!options.relay)
    return {
      kind: 'temporary',
      reply: 'no mail relay is configured (FAXSWITCH_SMTP_RELAY)',
      at: options.now(),
    };
  const message = await options.compose();
  try {
    const sent = await options.relay.send(message);
    const outcome: MailReceipt = { messageId: sent.messageId, response: sent.response, at: options.now() };
    await options.receipt.record(outcome);
    options.onAccepted?.(sent);
    return { kind: 'accepted', ...outcome };
  } catch (error) {
    if (error instanceof SmtpPermanentError)
      return { kind: 'permanent', reply: error.message, at: options.now() };
    if (error instanceof SmtpTemporaryError)
      return { kind: 'temporary', reply: error.message, at: options.now() };
    throw error;
  }
}
