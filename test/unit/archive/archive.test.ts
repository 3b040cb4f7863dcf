// Fax content at rest: what lands on disk is ciphertext only, tampering and swapping are detected,
// and key rotation keeps old objects readable.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ArchiveIntegrityError,
  FaxArchive,
  FileBlobStore,
  KeyRingError,
  loadOrCreateLocalKeyRing,
  openObject,
  parseKeyRing,
  sealedKeyId,
  sealObject,
  UnknownKeyError,
} from '../../../src/archive/index.ts';
import { makeTempDir } from '../../helpers/index.ts';

const key = (): string => randomBytes(32).toString('base64');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((entry) => path.join(dir, entry))
    .filter((file) => statSync(file).isFile());
}

describe('fax archive', () => {
  it('stores only ciphertext and returns the original content', async () => {
    const dir = makeTempDir();
    const archive = new FaxArchive(new FileBlobStore(dir), parseKeyRing(`k1:${key()}`, 'test'));
    const page = Buffer.from('%PDF-1.7 confidential fax from Dr. Example about patient 4711');
    await archive.put('fax:0001:document.pdf', page);

    const [file] = filesUnder(dir);
    const onDisk = readFileSync(file!);
    expect(onDisk.includes(Buffer.from('confidential'))).toBe(false);
    expect(onDisk.includes(Buffer.from('%PDF'))).toBe(false);
    expect(statSync(file!).mode & 0o077).toBe(0); // not readable by group or others
    expect(await archive.get('fax:0001:document.pdf')).toEqual(page);
    expect(await archive.get('fax:0002:document.pdf')).toBeUndefined();
    await archive.delete('fax:0001:document.pdf');
    expect(await archive.get('fax:0001:document.pdf')).toBeUndefined();
  });

  it('detects a flipped bit, and content moved under another fax id', () => {
    const ring = parseKeyRing(`k1:${key()}`, 'test');
    const sealed = sealObject(ring, 'fax:A', Buffer.from('page one'));
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 3]! ^= 0x01;
    expect(() => openObject(ring, 'fax:A', flipped)).toThrow(ArchiveIntegrityError);
    expect(() => openObject(ring, 'fax:B', sealed)).toThrow(/failed authentication/);
    expect(() => openObject(ring, 'fax:A', sealed.subarray(0, 20))).toThrow(/truncated/);
  });

  it('opens objects sealed under an older key after rotation, and names a missing key', () => {
    const oldKey = key();
    const before = parseKeyRing(`2025:${oldKey}`, 'test');
    const sealed = sealObject(before, 'fax:old', Buffer.from('archived last year'));
    const rotated = parseKeyRing(`2026:${key()}\n2025:${oldKey}`, 'test');
    expect(openObject(rotated, 'fax:old', sealed).toString()).toBe('archived last year');
    expect(sealedKeyId(sealObject(rotated, 'fax:new', Buffer.from('x')))).toBe('2026');
    const withoutOld = parseKeyRing(`2026:${key()}`, 'test');
    expect(() => openObject(withoutOld, 'fax:old', sealed)).toThrow(UnknownKeyError);
    expect(() => openObject(withoutOld, 'fax:old', sealed)).toThrow(/sealed with key '2025'/);
  });

  it('refuses malformed key rings without printing key material', () => {
    expect(() => parseKeyRing('k1:c2hvcnQ=', 'FAXSWITCH_ARCHIVE_KEYS')).toThrow(/key 'k1' is not 32 bytes/);
    const secretish = `${key()}`;
    let message = '';
    try {
      parseKeyRing(secretish, 'FAXSWITCH_ARCHIVE_KEYS');
    } catch (error) {
      expect(error).toBeInstanceOf(KeyRingError);
      message = (error as Error).message;
    }
    expect(message).toBe('FAXSWITCH_ARCHIVE_KEYS: entry 1 has no valid key id');
    expect(() => parseKeyRing(`a:${key()},a:${key()}`, 'x')).toThrow(/appears twice/);
  });

  it('creates a private local key once and reuses it', () => {
    const dir = makeTempDir();
    const first = loadOrCreateLocalKeyRing(dir);
    const second = loadOrCreateLocalKeyRing(dir);
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    const sealed = sealObject(first.ring, 'fax:1', Buffer.from('x'));
    expect(openObject(second.ring, 'fax:1', sealed).toString()).toBe('x');
  });

  it('refuses object ids that could escape the archive directory', async () => {
    const store = new FileBlobStore(makeTempDir());
    await expect(store.put('../../etc/passwd', Buffer.from('x'))).rejects.toThrow(
      /not a valid archive object id/,
    );
  });
});
