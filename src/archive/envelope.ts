// Envelope encryption for fax content at rest: each object gets its own random data key (DEK);
// content is sealed with AES-256-GCM under the DEK, and the DEK is sealed under a key-encryption
// key (KEK) from configuration — never stored in Redis or beside the data. Whoever holds the
// store alone (an administrator, a backup) holds ciphertext only. The object id is authenticated
// data, so a sealed object cannot be swapped in under another fax's id.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { TerminalError } from '../../cluster/index.ts';

export class ArchiveIntegrityError extends TerminalError {}

export class UnknownKeyError extends TerminalError {}

const MAGIC = Buffer.from('FXA1');
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The key ring: the current KEK seals new objects; older ones still open what they sealed. */
export interface KeyRing {
  readonly currentId: string;
  key(id: string): Buffer | undefined;
}

function seal(key: Buffer, plaintext: Buffer, aad: Buffer): { iv: Buffer; tag: Buffer; ciphertext: Buffer } {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, tag: cipher.getAuthTag(), ciphertext };
}

function open(key: Buffer, iv: Buffer, tag: Buffer, ciphertext: Buffer, aad: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}

/**
 * Layout: "FXA1" | kekIdLength u8 | kekId | wrapIv 12 | wrapTag 16 | wrappedDek 32 | iv 12 | tag 16 | ciphertext.
 */
export function sealObject(keys: KeyRing, objectId: string, plaintext: Buffer): Buffer {
  const kek = keys.key(keys.currentId);
  if (!kek) throw new UnknownKeyError(`the current archive key '${keys.currentId}' is not in the key ring`);
  const dek = randomBytes(KEY_BYTES);
  const aad = Buffer.from(objectId, 'utf8');
  const wrapped = seal(kek, dek, aad);
  const content = seal(dek, plaintext, aad);
  dek.fill(0);
  const kekId = Buffer.from(keys.currentId, 'utf8');
  return Buffer.concat([
    MAGIC,
    Buffer.from([kekId.length]),
    kekId,
    wrapped.iv,
    wrapped.tag,
    wrapped.ciphertext,
    content.iv,
    content.tag,
    content.ciphertext,
  ]);
}

export function openObject(keys: KeyRing, objectId: string, sealed: Buffer): Buffer {
  if (sealed.length < MAGIC.length + 1 || !sealed.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new ArchiveIntegrityError(`archive object ${objectId} is not a sealed faxswitch object`);
  }
  let offset = MAGIC.length;
  const kekIdLength = sealed[offset++]!;
  const take = (length: number): Buffer => {
    if (offset + length > sealed.length)
      throw new ArchiveIntegrityError(`archive object ${objectId} is truncated`);
    const part = sealed.subarray(offset, offset + length);
    offset += length;
    return part;
  };
  const kekId = take(kekIdLength).toString('utf8');
  const kek = keys.key(kekId);
  if (!kek) {
    throw new UnknownKeyError(
      `archive object ${objectId} was sealed with key '${kekId}', which is not configured`,
    );
  }
  const aad = Buffer.from(objectId, 'utf8');
  const wrapIv = take(IV_BYTES);
  const wrapTag = take(TAG_BYTES);
  const wrappedDek = take(KEY_BYTES);
  const iv = take(IV_BYTES);
  const tag = take(TAG_BYTES);
  const ciphertext = sealed.subarray(offset);
  try {
    const dek = open(kek, wrapIv, wrapTag, wrappedDek, aad);
    const plaintext = open(dek, iv, tag, ciphertext, aad);
    dek.fill(0);
    return plaintext;
  } catch (error) {
    throw new ArchiveIntegrityError(
      `archive object ${objectId} failed authentication (altered, or not this object)`,
      {
        cause: error,
      },
    );
  }
}

/** The key that sealed an object, without opening it (for re-wrapping after a key rotation). */
export function sealedKeyId(sealed: Buffer): string | undefined {
  if (!sealed.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const length = sealed[MAGIC.length] ?? 0;
  return sealed.subarray(MAGIC.length + 1, MAGIC.length + 1 + length).toString('utf8');
}
