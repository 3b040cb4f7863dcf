// Sealed archive objects on a filesystem that every node mounts (a ReadWriteMany volume on
// Kubernetes, a directory on one machine). Writes are atomic (temporary file, fsync, rename), so a
// crash leaves either the old object or the new one, never half of one.
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { TerminalError } from '../../cluster/index.ts';

export class InvalidObjectIdError extends TerminalError {}

const OBJECT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

export class FileBlobStore {
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
  }

  #path(id: string): string {
    if (!OBJECT_ID.test(id) || id.includes('..'))
      throw new InvalidObjectIdError(`'${id}' is not a valid archive object id`);
    // Two levels of fan-out keep directories small at millions of objects.
    const shard = createHash('sha256').update(id).digest('hex');
    return path.join(this.#root, shard.slice(0, 2), shard.slice(2, 4), id.replace(/:/g, '_'));
  }

  async put(id: string, bytes: Buffer): Promise<void> {
    const file = this.#path(id);
    const dir = path.dirname(file);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
    const handle = await open(temporary, 'w', 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
    const directory = await open(dir, 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }

  /** The object's bytes, or undefined when there is none. */
  async get(id: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.#path(id));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(id: string): Promise<void> {
    await rm(this.#path(id), { force: true });
  }
}
