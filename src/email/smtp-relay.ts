// Sends mail through the configured relay with nodemailer (pooled connections). STARTTLS is required
// by default, so fax content never crosses a network in clear; DKIM signing when configured. Every
// failure becomes retryable or terminal by what the server said: a 5xx reply to the envelope or the
// message is permanent; everything else (4xx, timeouts, a 5xx to STARTTLS or AUTH) is retried —
// a misconfigured relay must never turn a received fax into a lost one.
import nodemailer, { type Transporter } from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { RetryableError, TerminalError } from '../../cluster/index.ts';

export interface SmtpRelayOptions {
  /** smtp://host:port (STARTTLS) or smtps://host:port (implicit TLS). */
  readonly url: URL;
  readonly username?: string;
  readonly password?: string;
  /** Refuse to send unless the connection is encrypted (default true). */
  readonly requireTls?: boolean;
  /** Extra CA certificates (PEM) to trust, e.g. a private relay's. */
  readonly ca?: string;
  readonly dkim?: { readonly domainName: string; readonly keySelector: string; readonly privateKey: string };
  readonly connectionTimeoutMs?: number;
  readonly maxConnections?: number;
}

export interface SentMessage {
  readonly messageId: string;
  readonly accepted: readonly string[];
  /** Recipients the server refused permanently while accepting others. */
  readonly rejected: readonly string[];
  readonly response: string;
}

export class SmtpPermanentError extends TerminalError {}
export class SmtpTemporaryError extends RetryableError {}

interface NodemailerError extends Error {
  readonly code?: string;
  readonly responseCode?: number;
  readonly response?: string;
}

/** Maps a nodemailer failure to our taxonomy, keeping the server's reply code for the record. */
export function classifySmtpError(error: unknown): SmtpPermanentError | SmtpTemporaryError {
  const failure = error as NodemailerError;
  const code = failure.responseCode;
  const detail = failure.response ?? failure.message;
  // EENVELOPE: MAIL FROM/RCPT TO refused; EMESSAGE: DATA refused. Anything else is about the relay.
  const aboutTheMessage = failure.code === 'EENVELOPE' || failure.code === 'EMESSAGE';
  if (aboutTheMessage && code !== undefined && code >= 500 && code < 600) {
    return new SmtpPermanentError(`mail server refused the message permanently: ${detail}`, {
      cause: error,
      wire: { smtp: { code } },
    });
  }
  return new SmtpTemporaryError(`mail delivery failed temporarily: ${detail}`, {
    cause: error,
    ...(code !== undefined ? { wire: { smtp: { code } } } : {}),
  });
}

export class SmtpRelay {
  readonly #transport: Transporter<SMTPTransport.SentMessageInfo>;

  constructor(options: SmtpRelayOptions) {
    const implicitTls = options.url.protocol === 'smtps:';
    this.#transport = nodemailer.createTransport({
      pool: true,
      maxConnections: options.maxConnections ?? 4,
      host: options.url.hostname,
      port: Number(options.url.port) || (implicitTls ? 465 : 587),
      secure: implicitTls,
      requireTLS: options.requireTls ?? true,
      ignoreTLS: false,
      connectionTimeout: options.connectionTimeoutMs ?? 30_000,
      greetingTimeout: options.connectionTimeoutMs ?? 30_000,
      tls: { minVersion: 'TLSv1.2', ...(options.ca ? { ca: options.ca } : {}) },
      ...(options.username ? { auth: { user: options.username, pass: options.password ?? '' } } : {}),
      ...(options.dkim ? { dkim: options.dkim } : {}),
    });
  }

  async send(message: Mail.Options): Promise<SentMessage> {
    let info: SMTPTransport.SentMessageInfo;
    try {
      info = await this.#transport.sendMail(message);
    } catch (error) {
      throw classifySmtpError(error);
    }
    const asText = (list: readonly (string | Mail.Address | undefined)[]): string[] =>
      list.flatMap((entry) => {
        const address = typeof entry === 'string' ? entry : entry?.address;
        return address ? [address] : [];
      });
    return {
      messageId: info.messageId,
      accepted: asText(info.accepted),
      rejected: asText(info.rejected),
      response: info.response,
    };
  }

  close(): void {
    this.#transport.close();
  }
}
