// Snapshot compatibility of every fax machine (decision 5): each reachable state survives
// persist → JSON → restore → persist, and the golden fixtures of every stored version still
// restore and still accept events. A failure here means stored faxes would not resume after a deploy.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { reachableStates, roundTrip } from '../../../cluster/index.ts';
import { FAX_MACHINES } from '../../../src/workflows/index.ts';
import { FAX_MACHINE_WALKS } from '../../fixtures/fax-machine-walks.ts';

const FIXTURES = path.join(import.meta.dirname, '../../fixtures/snapshots');

describe.each(FAX_MACHINES.map((definition) => [definition.name, definition] as const))(
  '%s',
  (name, definition) => {
    const walk = FAX_MACHINE_WALKS[name];

    it('has a walk through its states', () => {
      expect(walk).toBeDefined();
    });

    it('every reachable state survives persist → JSON → restore → persist', () => {
      const states = reachableStates(definition, { input: walk!.input, events: walk!.events });
      expect(states.length).toBeGreaterThan(3);
      for (const state of states) {
        expect(roundTrip(definition, state.persisted), state.path.join(' → ')).toEqual(
          JSON.parse(JSON.stringify(state.persisted)),
        );
      }
    });

    it('has golden fixtures for the current version', () => {
      expect(readdirSync(path.join(FIXTURES, name))).toContain(`v${definition.version}`);
    });

    it('restores the golden fixtures of every version it has shipped', () => {
      for (const version of readdirSync(path.join(FIXTURES, name))) {
        const files = readdirSync(path.join(FIXTURES, name, version));
        expect(files.length).toBeGreaterThan(0);
        for (const file of files) {
          const persisted: unknown = JSON.parse(
            readFileSync(path.join(FIXTURES, name, version, file), 'utf8'),
          );
          expect(roundTrip(definition, persisted), `${version}/${file}`).toEqual(persisted);
        }
      }
    });
  },
);
