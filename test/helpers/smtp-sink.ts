// A real SMTP server (smtp-server) playing a customer's mail server: it speaks STARTTLS, records
// every message it accepts (parsed with mailparser), and can be told to refuse with any reply code.
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { localhostCertificate } from './tls.ts';
import { waitFor } from './wait.ts';

export interface ReceivedMail {
  readonly envelopeTo: readonly string[];
  readonly secure: boolean;
  readonly raw: Buffer;
  readonly parsed: ParsedMail;
  /** When the server accepted it (Date.now()). */
  readonly acceptedAt: number;
}

export interface SmtpSinkOptions {
  /** Support STARTTLS (default true). */
  readonly starttls?: boolean;
  /** Decide a reply for each message: undefined accepts it; otherwise the code and text to refuse with. */
  readonly refuse?: (message: {
    raw: Buffer;
    session: SMTPServerSession;
  }) => { code: number; text: string } | undefined;
  /**
   * Delay the reply to a message until the promise settles: a client that dies meanwhile never gets
   * its 250, and the message is not kept (it counts as abandoned), as when the sender crashed mid-DATA.
   */
  readonly holdReply?: (raw: Buffer) => Promise<void> | undefined;
  /** Count messages and drop them unparsed (benchmarks: an MTA that accepts and discards). */
  readonly discard?: boolean;
}

export interface SmtpSink {
  readonly port: number;
  readonly url: URL;
  readonly ca: string;
  readonly received: ReceivedMail[];
  /** Messages whose client was gone before they could be accepted. */
  readonly abandoned: number;
  /** Messages accepted and dropped (discard). */
  readonly discarded: number;
  /** Messages whose reply is being held (holdReply). */
  readonly held: number;
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const { key, cert } = localhostCertificate();
  const received: ReceivedMail[] = [];
  const counts = { abandoned: 0, held: 0, discarded: 0 };
  const closedSessions = new Set<string>();
  const server = new SMTPServer({
    key,
    cert,
    authOptional: true,
    // Hiding STARTTLS is not enough: a client that insists tries it anyway. Without it, it is gone.
    disabledCommands: options.starttls === false ? ['AUTH', 'STARTTLS'] : ['AUTH'],
    logger: false,
    onClose(session) {
      closedSessions.add(session.id);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => void finish());
      const finish = async (): Promise<void> => {
        const raw = Buffer.concat(chunks);
        const hold = options.holdReply?.(raw);
        if (hold) {
          counts.held += 1;
          await hold;
          counts.held -= 1;
          if (closedSessions.has(session.id)) {
            counts.abandoned += 1;
            return;
          }
        }
        const refusal = options.refuse?.({ raw, session });
        if (refusal) {
          callback(Object.assign(new Error(refusal.text), { responseCode: refusal.code }));
          return;
        }
        if (options.discard) {
          counts.discarded += 1;
          callback();
          return;
        }
        simpleParser(raw, { keepCidLinks: true }).then(
          (parsed) => {
            received.push({
              envelopeTo: session.envelope.rcptTo.map((r) => r.address),
              secure: session.secure,
              raw,
              parsed,
              acceptedAt: Date.now(),
            });
            callback();
          },
          (error: Error) => callback(error),
        );
      };
    },
  });
  // A client killed mid-session (the crash tests kill -9 nodes) resets its connection; like a real
  // MTA the server drops that session and carries on. Without a listener the error would be thrown
  // in the test process.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: new URL(`smtp://localhost:${port}`),
    ca: cert,
    received,
    get abandoned() {
      return counts.abandoned;
    },
    get held() {
      return counts.held;
    },
    get discarded() {
      return counts.discarded;
    },
    waitForMessages: (count, timeoutMs = 10_000) =>
      waitFor(() => (received.length >= count ? received : undefined), {
        timeoutMs,
        what: `${count} message(s) at the mail server`,
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
