// Records golden snapshot fixtures for a fax machine version that has none yet:
//   node scripts/record-snapshot-fixtures.ts
// Existing version directories are never touched: a shipped version's fixtures are the contract
// that stored snapshots keep restoring.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { reachableStates } from '../cluster/index.ts';
import { FAX_MACHINES } from '../src/workflows/index.ts';
import { FAX_MACHINE_WALKS } from '../test/fixtures/fax-machine-walks.ts';

const root = path.resolve(import.meta.dirname, '../test/fixtures/snapshots');
for (const definition of FAX_MACHINES) {
  const dir = path.join(root, definition.name, `v${definition.version}`);
  if (existsSync(dir)) {
    console.log(`${definition.name} v${definition.version}: fixtures exist, left as they are`);
    continue;
  }
  const walk = FAX_MACHINE_WALKS[definition.name];
  if (!walk) throw new Error(`no walk for ${definition.name} in test/fixtures/fax-machine-walks.ts`);
  const states = reachableStates(definition, { input: walk.input, events: walk.events });
  mkdirSync(dir, { recursive: true });
  states.forEach((state, index) => {
    const name = `${String(index).padStart(3, '0')}-${state.path.join('-').replace(/[^a-zA-Z0-9.-]/g, '_') || 'initial'}`;
    writeFileSync(
      path.join(dir, `${name.slice(0, 120)}.json`),
      `${JSON.stringify(state.persisted, null, 2)}\n`,
    );
  });
  console.log(`${definition.name} v${definition.version}: recorded ${states.length} fixtures in ${dir}`);
}
