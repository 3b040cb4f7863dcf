// OpenPGP/MIME (RFC 3156) for emails whose recipient gave us a public key: the whole MIME body —
// text, attachments, thumbnail, and a copy of the headers (protected headers) — is encrypted to the
// key; only the envelope headers stay readable. Once encrypted, neither the switch nor anyone who
// can read its archive or the mail servers on the way can open the fax.
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type Mail from 'nodemailer/lib/mailer/index.js';
import MimeNode from 'nodemailer/lib/mime-node/index.js';
import { createMessage, encrypt, readKey } from 'openpgp';
import { TerminalError } from '../../cluster/index.ts';

export class InvalidPublicKeyError extends TerminalError {}

/** Checks that `armored` is one usable OpenPGP public key (for validating a DID's key at entry). */
export async function checkPublicKey(armored: string): Promise<{ fingerprint: string; userIds: string[] }> {
  try {
    const key = await readKey({ armoredKey: armored });
    if (key.isPrivate()) throw new InvalidPublicKeyError('this is a private key; give the public key');
    await key.getEncryptionKey();
    return { fingerprint: key.getFingerprint(), userIds: key.getUserIDs() };
  } catch (error) {
    if (error instanceof InvalidPublicKeyError) throw error;
    throw new InvalidPublicKeyError(
      `not a usable OpenPGP public key: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** The message as it will be sent: envelope headers in clear, everything else encrypted. */
export async function encryptEmail(message: Mail.Options, armoredKey: string): Promise<Buffer> {
  const encryptionKeys = await readKey({ armoredKey }).catch((error: unknown) => {
    throw new InvalidPublicKeyError('the recipient key cannot be read', { cause: error });
  });
  const inner = await new MailComposer({ ...message, headers: { ...headersOf(message) } }).compile().build();
  // openpgp's return type is conditional on stream types this project does not load: check it here.
  const ciphertext: unknown = await encrypt({
    message: await createMessage({ binary: inner }),
    encryptionKeys,
    format: 'armored',
  });
  if (typeof ciphertext !== 'string') throw new TypeError('openpgp returned no armoured message');

  const root = new MimeNode('multipart/encrypted', { baseBoundary: 'faxswitch-pgp' });
  root.setHeader('Content-Type', 'multipart/encrypted; protocol="application/pgp-encrypted"');
  for (const [name, value] of Object.entries(envelopeHeaders(message))) root.setHeader(name, value);
  root
    .createChild('application/pgp-encrypted')
    .setHeader('Content-Description', 'PGP/MIME version identification')
    .setContent('Version: 1\r\n');
  root
    .createChild('application/octet-stream; name="encrypted.asc"')
    .setHeader('Content-Description', 'OpenPGP encrypted message')
    .setHeader('Content-Disposition', 'inline; filename="encrypted.asc"')
    .setContent(ciphertext);
  return root.build();
}

function headersOf(message: Mail.Options): Record<string, string> {
  const headers = message.headers;
  if (!headers || Array.isArray(headers)) return {};
  return Object.fromEntries(
    Object.entries(headers).flatMap(([name, value]) => (typeof value === 'string' ? [[name, value]] : [])),
  );
}

/** What mail servers need to route and thread the message; nothing about the fax's content. */
function envelopeHeaders(message: Mail.Options): Record<string, string> {
  // Our emails name their addresses as plain strings (composeFaxEmail, composeStatusEmail).
  const list = (value: Mail.Options['to']): string =>
    (Array.isArray(value) ? value : [value]).filter((entry) => typeof entry === 'string').join(', ');
  return {
    From: list(message.from),
    To: list(message.to),
    Subject: typeof message.subject === 'string' ? message.subject : 'Fax',
    'Message-ID': message.messageId ?? '',
    Date: (message.date instanceof Date ? message.date : new Date()).toUTCString(),
    ...headersOf(message),
  };
}
