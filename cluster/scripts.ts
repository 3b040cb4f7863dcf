// Loads a folder of Lua scripts (one per file, `<verbNoun>-<numKeys>.lua`) into Redis as one
// function library whose functions are named `<verbNoun>_<hash of the file>`, so a node only ever
// calls the exact code it ships with: during a rolling deploy old and new nodes call different names
// and never each other's code. The cluster's own scripts live in cluster/lua; other modules load
// their folders the same way (`scriptLibrary(dir, name)`). Functions persist in the AOF, but a
// replaced or flushed server may lack them: a missing function is loaded again and the call retried.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ChainableCommander, Redis } from 'ioredis';

const LUA_DIR = path.join(import.meta.dirname, 'lua');
const FILE_NAME = /^([a-z][A-Za-z]*)-(\d+)\.lua$/;

export interface ScriptDefinition {
  readonly verb: string;
  readonly numKeys: number;
  /** The versioned name the function is registered under. */
  readonly functionName: string;
}

export interface ScriptLibrary {
  readonly name: string;
  readonly code: string;
  readonly scripts: ReadonlyMap<string, ScriptDefinition>;
}

export type ScriptVerb = 'claimActor' | 'commitStep' | 'renewLease' | 'releaseLease' | 'beatHeart';

const cached = new Map<string, ScriptLibrary>();

/**
 * Reads every script file of `dir` once and builds the function library text. `libraryName` names
 * the library (with the hash of its files appended), so folders of different modules never collide.
 */
export function scriptLibrary(dir = LUA_DIR, libraryName = 'faxswitch'): ScriptLibrary {
  const known = cached.get(dir);
  if (known) return known;
  const scripts = new Map<string, ScriptDefinition>();
  const parts: string[] = [];
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.lua'))
    .sort();
  const hashAll = createHash('sha1');
  for (const file of files) {
    const match = FILE_NAME.exec(file);
    if (!match?.[1] || !match[2])
      throw new Error(`Lua script file '${file}' is not named <verbNoun>-<numKeys>.lua`);
    const body = readFileSync(path.join(dir, file), 'utf8');
    const hash = createHash('sha1').update(body).digest('hex').slice(0, 12);
    hashAll.update(file).update(body);
    const functionName = `${match[1]}_${hash}`;
    scripts.set(match[1], { verb: match[1], numKeys: Number(match[2]), functionName });
    parts.push(`redis.register_function('${functionName}', function(KEYS, ARGV)\n${body}\nend)`);
  }
  const name = `${libraryName}_${hashAll.digest('hex').slice(0, 12)}`;
  const library = { name, code: `#!lua name=${name}\n${parts.join('\n')}`, scripts };
  cached.set(dir, library);
  return library;
}

export type ScriptArg = string | number;

/** Calls one library's scripts (by default the cluster's) on one Redis connection. */
export class ScriptRunner<Verb extends string = ScriptVerb> {
  readonly #redis: Redis;
  readonly #library: ScriptLibrary;
  #loaded = false;

  constructor(redis: Redis, library: ScriptLibrary = scriptLibrary()) {
    this.#redis = redis;
    this.#library = library;
  }

  async load(): Promise<void> {
    try {
      await this.#redis.call('FUNCTION', 'LOAD', this.#library.code);
    } catch (error) {
      if (!String(error).includes('already exists')) throw error;
    }
    this.#loaded = true;
  }

  async run(verb: Verb, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    if (!this.#loaded) await this.load();
    const call = (): Promise<unknown> => this.#redis.fcall(...this.#fcallArgs(verb, keys, args));
    try {
      return await call();
    } catch (error) {
      if (!String(error).includes('Function not found')) throw error;
      await this.load();
      return call();
    }
  }

  /** Queues a call on a pipeline (benchmarks and batched lease renewals). Load first. */
  queue(pipeline: ChainableCommander, verb: Verb, keys: readonly string[], args: readonly ScriptArg[]): void {
    pipeline.fcall(...this.#fcallArgs(verb, keys, args));
  }

  #fcallArgs(
    verb: Verb,
    keys: readonly string[],
    args: readonly ScriptArg[],
  ): [string, number, ...ScriptArg[]] {
    const script = this.#library.scripts.get(verb);
    if (!script) throw new Error(`no Lua script for '${verb}'`);
    if (keys.length !== script.numKeys) {
      throw new Error(`${verb} takes ${script.numKeys} keys, got ${keys.length}`);
    }
    return [script.functionName, keys.length, ...keys, ...args];
  }
}
