// The archive of fax content: pages and documents sealed with envelope encryption before they
// touch the store. Metadata (who, when, how many pages) lives with the fax records; this holds only
// content, which nobody can read without the key ring.
import type { KeyRing } from './envelope.ts';
import { openObject, sealObject } from './envelope.ts';
import type { FileBlobStore } from './file-blob-store.ts';

export class FaxArchive {
  readonly #store: FileBlobStore;
  readonly #keys: KeyRing;

  constructor(store: FileBlobStore, keys: KeyRing) {
    this.#store = store;
    this.#keys = keys;
  }

  async put(objectId: string, content: Buffer): Promise<void> {
    await this.#store.put(objectId, sealObject(this.#keys, objectId, content));
  }

  /** The decrypted content, or undefined when the object does not exist (e.g. past retention). */
  async get(objectId: string): Promise<Buffer | undefined> {
    const sealed = await this.#store.get(objectId);
    return sealed === undefined ? undefined : openObject(this.#keys, objectId, sealed);
  }

  async delete(objectId: string): Promise<void> {
    await this.#store.delete(objectId);
  }
}
