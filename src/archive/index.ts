// Fax content at rest: envelope encryption (AES-256-GCM) over a shared blob store.
export { FaxArchive } from './fax-archive.ts';
export { FileBlobStore, InvalidObjectIdError } from './file-blob-store.ts';
export { parseKeyRing, loadOrCreateLocalKeyRing, KeyRingError } from './key-ring.ts';
export {
  sealObject,
  openObject,
  sealedKeyId,
  ArchiveIntegrityError,
  UnknownKeyError,
  type KeyRing,
} from './envelope.ts';
