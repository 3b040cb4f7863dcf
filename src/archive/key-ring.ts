// Archive key-encryption keys, as operators provide them: `id:base64key` entries separated by
// commas or new lines, the first sealing new objects (rotation: put the new key first, keep the old
// ones until everything is re-wrapped). On Kubernetes they come from a Secret mounted as a file; on
// one machine with none configured, a key is generated once into the state directory (mode 0600).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TerminalError } from '../../cluster/index.ts';
import type { KeyRing } from './envelope.ts';

export class KeyRingError extends TerminalError {}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function parseKeyRing(text: string, source: string): KeyRing {
  const entries = text
    .split(/[\n,]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry && !entry.startsWith('#'));
  if (entries.length === 0)
    throw new KeyRingError(`${source}: no archive keys (expected id:base64key entries)`);
  const keys = new Map<string, Buffer>();
  for (const [index, entry] of entries.entries()) {
    const separator = entry.indexOf(':');
    const id = entry.slice(0, separator);
    const key = Buffer.from(entry.slice(separator + 1), 'base64');
    // Only the position is named: the entry itself is key material.
    if (separator < 1 || !KEY_ID.test(id))
      throw new KeyRingError(`${source}: entry ${index + 1} has no valid key id`);
    if (key.length !== 32) throw new KeyRingError(`${source}: key '${id}' is not 32 bytes of base64`);
    if (keys.has(id)) throw new KeyRingError(`${source}: key id '${id}' appears twice`);
    keys.set(id, key);
  }
  const currentId = [...keys.keys()][0]!;
  return { currentId, key: (id) => keys.get(id) };
}

/** Reads the state directory's key file, creating it with one new key the first time. */
export function loadOrCreateLocalKeyRing(stateDir: string): {
  ring: KeyRing;
  created: boolean;
  file: string;
} {
  const file = path.join(stateDir, 'archive-keys');
  let created = false;
  if (!existsSync(file)) {
    const id = `local-${new Date().toISOString().slice(0, 10)}`;
    writeFileSync(file, `${id}:${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    created = true;
  }
  return { ring: parseKeyRing(readFileSync(file, 'utf8'), file), created, file };
}
