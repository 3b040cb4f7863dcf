// One place that decides what SMTP reply a failure becomes: the error's own wire code where it has
// one (535, 550 5.7.1, 552, …), else 451 for anything that may pass later and 554 for the rest. An
// unexpected error is a 451: the client keeps the message and retries, so nothing is lost.
import { FaxswitchError } from '../../cluster/index.ts';

export interface SmtpReply {
  readonly code: number;
  readonly enhanced: string;
  readonly text: string;
}

export function smtpReplyFor(error: unknown): SmtpReply {
  if (error instanceof FaxswitchError) {
    const smtp = error.wire.smtp;
    if (smtp)
      return { code: smtp.code, enhanced: smtp.enhanced ?? defaultEnhanced(smtp.code), text: error.message };
    return error.retryable
      ? { code: 451, enhanced: '4.3.0', text: `${error.message}; please try again later` }
      : { code: 554, enhanced: '5.6.0', text: error.message };
  }
  return { code: 451, enhanced: '4.3.0', text: 'temporary local problem; please try again later' };
}

function defaultEnhanced(code: number): string {
  return code >= 500 ? '5.0.0' : code >= 400 ? '4.0.0' : '2.0.0';
}

/** An Error as smtp-server expects it: the reply code in `responseCode`, the enhanced code in the text. */
export function toSmtpServerError(reply: SmtpReply): Error & { responseCode: number } {
  return Object.assign(new Error(`${reply.enhanced} ${reply.text.replace(/[\r\n]+/g, ' ')}`), {
    responseCode: reply.code,
  });
}
