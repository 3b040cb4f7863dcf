// Email2Fax intake: two SMTP services that turn messages to `<number>@<fax domain>` into fax jobs.
//   submission (587): STARTTLS, then AUTH; the sender address must be the login it authenticated as.
//   MX (25): no login; the From address must pass DMARC (or, without a DMARC policy, an aligned
//   DKIM signature or SPF pass) and be allowed by an account; an account may also demand a PIN.
// 250 is sent only after every job of the message is durably stored (the `submit` port resolves);
// every refusal carries its precise reply code, and anything temporary is a 4xx so nothing is lost.
import { authenticate as verifySender, type AuthenticateResult, type DNSResolver } from 'mailauth';
import { simpleParser, type ParsedMail } from 'mailparser';
import {
  SMTPServer,
  type SMTPServerAddress,
  type SMTPServerDataStream,
  type SMTPServerOptions,
  type SMTPServerSession,
} from 'smtp-server';
import { TerminalError } from '../../cluster/index.ts';
import { checkDestination, type Account, type AccountStore } from '../accounts/index.ts';
import { smtpReplyFor, toSmtpServerError } from './smtp-reply.ts';

export interface FaxDocument {
  readonly name: string;
  readonly contentType: string;
  readonly content: Buffer;
  /** The message text itself, or an attached file. */
  readonly source: 'body' | 'attachment';
}

export interface FaxSubmission {
  readonly accountId: string;
  readonly sender: string;
  /** E.164 destinations, one job each. */
  readonly recipients: readonly string[];
  readonly subject: string;
  readonly messageId: string;
  readonly receivedAtMs: number;
  readonly documents: readonly FaxDocument[];
  readonly pages: number;
}

/** What the preflight found: at least the page count; the submit port gets the whole of it back. */
export interface Preflight {
  readonly pages: number;
}

export interface SubmitResult {
  readonly jobIds: readonly string[];
  /** The same message was accepted before (a client retrying after a lost 250): no new jobs. */
  readonly alreadyAccepted: boolean;
}

export interface IntakePorts<Prepared extends Preflight = Preflight> {
  readonly accounts: AccountStore;
  /** Renders or counts the pages; throws a typed error naming the document that cannot be faxed. */
  readonly preflight: (documents: readonly FaxDocument[], account: Account) => Promise<Prepared>;
  /** Stores the jobs durably; resolves only when they survive a crash. */
  readonly submit: (submission: FaxSubmission, prepared: Prepared) => Promise<SubmitResult>;
  readonly now: () => number;
  /** DNS for SPF/DKIM/DMARC; the system resolver when absent. */
  readonly resolver?: DNSResolver;
  /**
   * Starts a serial-letter campaign from an authenticated message to `campaign@<fax domain>`
   * (template and recipients list attached); resolves once it is durable. Absent: no campaigns by mail.
   */
  readonly startCampaign?: (request: CampaignMessage) => Promise<{ campaignId: string }>;
}

/** A message asking for a serial-letter campaign: who sent it and what it carries. */
export interface CampaignMessage {
  readonly account: Account;
  readonly sender: string;
  readonly subject: string;
  readonly messageId: string;
  readonly attachments: readonly FaxDocument[];
}

/** The address authenticated senders mail campaigns to: `campaign@<fax domain>`. */
export const CAMPAIGN_MAILBOX = 'campaign';

export interface SmtpIntakeOptions {
  /** Mail to `<number>@<faxDomain>` is faxed; other domains are refused (no relaying). */
  readonly faxDomain: string;
  /** Name this server gives in its greeting and Authentication-Results. */
  readonly hostname: string;
  readonly tls: { readonly key: string; readonly cert: string };
  readonly maxMessageBytes: number;
  readonly maxRecipients: number;
  /** Connections beyond this are answered 421 and may try again later. */
  readonly maxClients: number;
}

class IntakeRefusal extends TerminalError {
  constructor(code: number, enhanced: string, message: string) {
    super(message, { wire: { smtp: { code, enhanced } } });
  }
}

interface SessionUser {
  readonly account: Account;
  readonly login: string;
}

const PIN_IN_SUBJECT = /\[PIN\s+([0-9A-Za-z]{3,16})\]/i;

function refuse(error: unknown): Error {
  return toSmtpServerError(smtpReplyFor(error));
}

/** The number part of `<number>@<fax domain>`, or a refusal naming what is wrong. */
function isCampaignAddress(address: string, faxDomain: string): boolean {
  return address.toLowerCase() === `${CAMPAIGN_MAILBOX}@${faxDomain.toLowerCase()}`;
}

function faxNumberOf(address: string, faxDomain: string): string {
  const at = address.lastIndexOf('@');
  const domain = address.slice(at + 1).toLowerCase();
  if (at < 1 || domain !== faxDomain.toLowerCase()) {
    throw new IntakeRefusal(550, '5.7.1', `relaying denied: only <number>@${faxDomain} is accepted here`);
  }
  return address.slice(0, at);
}

function readMessage(stream: SMTPServerDataStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('error', reject);
    stream.once('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** The message text first, then attachments in order; inline images of an HTML body are part of it. */
export function faxDocumentsOf(mail: ParsedMail): FaxDocument[] {
  const documents: FaxDocument[] = [];
  const text = mail.text?.trim();
  if (text) {
    documents.push({
      name: 'message text',
      contentType: 'text/plain',
      content: Buffer.from(text),
      source: 'body',
    });
  } else if (typeof mail.html === 'string' && mail.html.trim()) {
    documents.push({
      name: 'message text',
      contentType: 'text/html',
      content: Buffer.from(mail.html),
      source: 'body',
    });
  }
  for (const [index, attachment] of mail.attachments.entries()) {
    const inlinePartOfBody = attachment.contentDisposition === 'inline' && attachment.related;
    if (inlinePartOfBody) continue;
    documents.push({
      name: attachment.filename ?? `attachment ${index + 1}`,
      contentType: attachment.contentType,
      content: attachment.content,
      source: 'attachment',
    });
  }
  return documents;
}

/** Whether the From domain is proven: DMARC pass, or without a DMARC policy an aligned DKIM/SPF pass. */
export function senderIsVerified(result: AuthenticateResult, fromDomain: string): boolean {
  const dmarc = result.dmarc ? result.dmarc.status.result : 'none';
  if (dmarc === 'pass') return true;
  if (dmarc !== 'none') return false;
  const alignedDkim = result.dkim.results.some((r) => r.status.result === 'pass' && r.status.aligned);
  const alignedSpf =
    result.spf !== false &&
    result.spf.status.result === 'pass' &&
    result.spf.domain.toLowerCase() === fromDomain;
  return alignedDkim || alignedSpf;
}

class Intake<Prepared extends Preflight> {
  readonly #options: SmtpIntakeOptions;
  readonly #ports: IntakePorts<Prepared>;

  constructor(options: SmtpIntakeOptions, ports: IntakePorts<Prepared>) {
    this.#options = options;
    this.#ports = ports;
  }

  baseOptions(): SMTPServerOptions {
    return {
      name: this.#options.hostname,
      key: this.#options.tls.key,
      cert: this.#options.tls.cert,
      size: this.#options.maxMessageBytes,
      maxClients: this.#options.maxClients,
      // Our refusals carry their own enhanced codes; the library's defaults would mislabel some (5.1.1 for every 550).
      hideENHANCEDSTATUSCODES: true,
      logger: false,
      banner: 'faxswitch Email2Fax',
    };
  }

  checkRecipientDomain(address: SMTPServerAddress, session: SMTPServerSession): void {
    if (session.envelope.rcptTo.length >= this.#options.maxRecipients) {
      throw new IntakeRefusal(
        452,
        '4.5.3',
        `too many recipients: at most ${this.#options.maxRecipients} per message`,
      );
    }
    if (isCampaignAddress(address.address, this.#options.faxDomain)) {
      // Only an authenticated sender (the submission port, which has a user) may start a campaign.
      if (!this.#ports.startCampaign || session.user === undefined)
        throw new IntakeRefusal(550, '5.7.1', 'campaigns are taken only from authenticated senders');
      return;
    }
    faxNumberOf(address.address, this.#options.faxDomain);
  }

  isCampaign(recipients: readonly string[]): boolean {
    return recipients.some((address) => isCampaignAddress(address, this.#options.faxDomain));
  }

  /** A campaign message: the template and the list attached; resolves to the 250 text. */
  async startCampaign(
    mail: ParsedMail,
    account: Account,
    sender: string,
    recipients: readonly string[],
  ): Promise<string> {
    if (recipients.length > 1 || !this.#ports.startCampaign)
      throw new IntakeRefusal(
        550,
        '5.5.3',
        `a campaign goes to ${CAMPAIGN_MAILBOX}@${this.#options.faxDomain} alone`,
      );
    const receivedAtMs = this.#ports.now();
    const { campaignId } = await this.#ports.startCampaign({
      account,
      sender,
      subject: mail.subject ?? '',
      messageId: mail.messageId ?? `<campaign.${receivedAtMs}@${this.#options.hostname}>`,
      attachments: faxDocumentsOf(mail).filter((document) => document.source === 'attachment'),
    });
    return `2.6.0 campaign ${campaignId} accepted`;
  }

  /** Turns one accepted message into durably stored jobs; resolves to the 250 text. */
  async process(
    raw: Buffer,
    mail: ParsedMail,
    account: Account,
    sender: string,
    recipients: readonly string[],
  ): Promise<string> {
    const receivedAtMs = this.#ports.now();
    const { jobIds, pages } = await queueFax(this.#ports, {
      account,
      sender,
      numbers: recipients.map((address) => faxNumberOf(address, this.#options.faxDomain)),
      subject: mail.subject ?? '',
      messageId: mail.messageId ?? `<${receivedAtMs}.${raw.length}@${this.#options.hostname}>`,
      receivedAtMs,
      documents: faxDocumentsOf(mail),
    });
    return `2.6.0 queued ${jobIds.length} fax job(s) of ${pages} page(s): ${jobIds.join(' ')}`;
  }

  async verifiedMxAccount(raw: Buffer, mail: ParsedMail, session: SMTPServerSession): Promise<Account> {
    const from = mail.from?.value[0]?.address?.toLowerCase();
    if (!from) throw new IntakeRefusal(550, '5.7.1', 'the message has no From address');
    const mailFrom = session.envelope.mailFrom;
    const result = await verifySender(raw, {
      ip: session.remoteAddress,
      helo: session.hostNameAppearsAs,
      sender: mailFrom ? mailFrom.address : '',
      mta: this.#options.hostname,
      ...(this.#ports.resolver ? { resolver: this.#ports.resolver } : {}),
    });
    if (!senderIsVerified(result, from.slice(from.lastIndexOf('@') + 1))) {
      throw new IntakeRefusal(550, '5.7.1', `sender ${from} could not be verified (SPF/DKIM/DMARC)`);
    }
    const account = await this.#ports.accounts.accountForSender(from);
    if (!account) throw new IntakeRefusal(550, '5.7.1', `sender ${from} is not allowed to send faxes`);
    if (account.pin !== undefined && PIN_IN_SUBJECT.exec(mail.subject ?? '')?.[1] !== account.pin) {
      throw new IntakeRefusal(550, '5.7.1', 'the subject must carry the account PIN as [PIN …]');
    }
    return account;
  }
}

/** A request to fax documents from an account, however it arrived (a message, the CLI). */
export interface FaxRequest {
  readonly account: Account;
  readonly sender: string;
  /** Numbers as people wrote them; normalised with the account's dial plan. */
  readonly numbers: readonly string[];
  readonly subject: string;
  readonly messageId: string;
  readonly receivedAtMs: number;
  readonly documents: readonly FaxDocument[];
}

/**
 * The one path from a request to durable jobs: the dial plan, the preflight, the usage limits
 * (reserved all or nothing, given back if the jobs are not stored or were stored before), submit.
 */
export async function queueFax<Prepared extends Preflight>(
  ports: Pick<IntakePorts<Prepared>, 'accounts' | 'preflight' | 'submit'>,
  request: FaxRequest,
): Promise<{ jobIds: readonly string[]; pages: number }> {
  const { account, receivedAtMs } = request;
  const destinations = request.numbers.map((number) => checkDestination(number, account.dialPlan));
  if (request.documents.length === 0) {
    throw new IntakeRefusal(554, '5.6.1', 'nothing to fax: the message has no text and no attachments');
  }
  const prepared = await ports.preflight(request.documents, account);
  const { pages } = prepared;
  const usage = { faxes: destinations.length, pages: pages * destinations.length };
  await ports.accounts.reserveUsage(account, usage, receivedAtMs);
  try {
    const submitted = await ports.submit(
      {
        accountId: account.id,
        sender: request.sender,
        recipients: destinations,
        subject: request.subject,
        messageId: request.messageId,
        receivedAtMs,
        documents: request.documents,
        pages,
      },
      prepared,
    );
    // A client retrying after a lost 250: its jobs exist and were counted the first time.
    if (submitted.alreadyAccepted) await ports.accounts.releaseUsage(account, usage, receivedAtMs);
    return { jobIds: submitted.jobIds, pages };
  } catch (error) {
    await ports.accounts.releaseUsage(account, usage, receivedAtMs);
    throw error;
  }
}

async function parseAccepted(stream: SMTPServerDataStream): Promise<{ raw: Buffer; mail: ParsedMail }> {
  const raw = await readMessage(stream);
  if (stream.sizeExceeded) throw new IntakeRefusal(552, '5.3.4', 'message too large');
  return { raw, mail: await simpleParser(raw) };
}

/** The submission service (port 587): STARTTLS, AUTH, sender = login. */
export function createSubmissionServer<Prepared extends Preflight>(
  options: SmtpIntakeOptions,
  ports: IntakePorts<Prepared>,
): SMTPServer {
  const intake = new Intake(options, ports);
  return new SMTPServer({
    ...intake.baseOptions(),
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: false,
    authOptional: false,
    onAuth(auth, _session, callback) {
      const login = auth.username ?? '';
      ports.accounts.authenticate(login, auth.password ?? '').then(
        (account) => {
          if (!account) {
            callback(toSmtpServerError({ code: 535, enhanced: '5.7.8', text: 'authentication failed' }));
            return;
          }
          const user: SessionUser = { account, login: login.toLowerCase() };
          callback(null, { user });
        },
        (error: unknown) => callback(refuse(error)),
      );
    },
    onMailFrom(address, session, callback) {
      const user = session.user as SessionUser | undefined;
      if (!user || address.address.toLowerCase() !== user.login) {
        callback(
          toSmtpServerError({
            code: 550,
            enhanced: '5.7.1',
            text: `sender address must be ${user?.login ?? 'your login'}`,
          }),
        );
        return;
      }
      callback();
    },
    onRcptTo(address, session, callback) {
      try {
        intake.checkRecipientDomain(address, session);
        const user = session.user as SessionUser;
        if (!intake.isCampaign([address.address]))
          checkDestination(faxNumberOf(address.address, options.faxDomain), user.account.dialPlan);
        callback();
      } catch (error) {
        callback(refuse(error));
      }
    },
    onData(stream, session, callback) {
      const user = session.user as SessionUser;
      const recipients = session.envelope.rcptTo.map((r) => r.address);
      parseAccepted(stream)
        .then(({ raw, mail }) => {
          const from = mail.from?.value[0]?.address?.toLowerCase();
          if (from !== user.login) {
            throw new IntakeRefusal(550, '5.7.1', `the From address must be ${user.login}`);
          }
          return intake.isCampaign(recipients)
            ? intake.startCampaign(mail, user.account, user.login, recipients)
            : intake.process(raw, mail, user.account, user.login, recipients);
        })
        .then(
          (text) => callback(null, text),
          (error: unknown) => callback(refuse(error)),
        );
    },
  });
}

/** The MX service (port 25): no login; senders proven by SPF/DKIM/DMARC and allowed by an account. */
export function createMxServer<Prepared extends Preflight>(
  options: SmtpIntakeOptions,
  ports: IntakePorts<Prepared>,
): SMTPServer {
  const intake = new Intake(options, ports);
  return new SMTPServer({
    ...intake.baseOptions(),
    disabledCommands: ['AUTH'],
    authOptional: true,
    onRcptTo(address, session, callback) {
      try {
        intake.checkRecipientDomain(address, session);
        callback();
      } catch (error) {
        callback(refuse(error));
      }
    },
    onData(stream, session, callback) {
      const recipients = session.envelope.rcptTo.map((r) => r.address);
      parseAccepted(stream)
        .then(async ({ raw, mail }) => {
          const account = await intake.verifiedMxAccount(raw, mail, session);
          const from = mail.from?.value[0]?.address?.toLowerCase() ?? '';
          return intake.process(raw, mail, account, from, recipients);
        })
        .then(
          (text) => callback(null, text),
          (error: unknown) => callback(refuse(error)),
        );
    },
  });
}
