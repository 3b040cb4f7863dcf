// Key layout, result-code mapping and successor choice: the pure parts of the cluster runtime.
import { describe, expect, it } from 'vitest';
import { createKeys, isValidActorId, rendezvousWinner } from '../../../cluster/index.ts';
import {
  ActorNotFoundError,
  errorForCode,
  isScriptCode,
  LeaseHeldError,
  LeaseLostError,
  ScriptCode,
  SequenceConflictError,
  StaleEpochError,
} from '../../../cluster/script-codes.ts';

describe('cluster keys', () => {
  it('puts every key of one actor in the same hash slot and indexes in another', () => {
    const keys = createKeys('fx');
    const tags = [
      keys.actorState('job-1'),
      keys.actorLease('job-1'),
      keys.actorLog('job-1'),
      keys.actorEpoch('job-1'),
    ].map((key) => /\{([^}]*)\}/.exec(key)?.[1]);
    expect(new Set(tags)).toEqual(new Set(['fx:job-1']));
    expect(keys.ownerIndex('node-a#1')).toBe('{fx}:owner:node-a#1');
    expect(() => createKeys('bad prefix')).toThrow(/invalid/);
  });

  it('refuses actor ids that could break keys or subjects', () => {
    expect(isValidActorId('job-1:page.2')).toBe(true);
    for (const bad of ['', 'a b', 'a{b}', 'a*', 'x'.repeat(201), 'a..b'])
      expect(isValidActorId(bad), bad).toBe(false);
  });
});

describe('script result codes', () => {
  it('maps every negative code to its own error type', () => {
    const expected = {
      [ScriptCode.LEASE_HELD]: LeaseHeldError,
      [ScriptCode.LEASE_LOST]: LeaseLostError,
      [ScriptCode.STALE_EPOCH]: StaleEpochError,
      [ScriptCode.NOT_FOUND]: ActorNotFoundError,
      [ScriptCode.SEQ_CONFLICT]: SequenceConflictError,
    };
    for (const [code, type] of Object.entries(expected)) {
      const error = errorForCode(Number(code) as ScriptCode, 'commitStep', 'job-1');
      expect(error).toBeInstanceOf(type);
      expect(error.message).toContain('job-1');
    }
    expect(isScriptCode(-9)).toBe(false);
    expect(isScriptCode(3)).toBe(false);
  });
});

describe('rendezvous successor', () => {
  it('moves only the actors of the node that left', () => {
    const nodes = ['a#1', 'b#1', 'c#1'];
    const ids = Array.from({ length: 300 }, (_, i) => `job-${i}`);
    const before = new Map(ids.map((id) => [id, rendezvousWinner(id, nodes)]));
    const counts = nodes.map((node) => ids.filter((id) => before.get(id) === node).length);
    for (const count of counts) expect(count).toBeGreaterThan(60);
    const after = new Map(ids.map((id) => [id, rendezvousWinner(id, ['a#1', 'c#1'])]));
    for (const id of ids) if (before.get(id) !== 'b#1') expect(after.get(id)).toBe(before.get(id));
  });
});
