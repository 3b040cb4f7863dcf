// `npm run bench -- <name> [args]` runs bench/<name>.bench.ts; with no name, every benchmark.
// Each benchmark runs our code and its anchor (libtiff, ghostscript, …) in the same run and prints
// one JSON line per result: {"bench","metric","ours","anchor","anchor_value","ratio"}.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface BenchModule {
  run(args: readonly string[]): Promise<void>;
}

const dir = import.meta.dirname;
const available = readdirSync(dir)
  .filter((file) => file.endsWith('.bench.ts'))
  .map((file) => file.replace(/\.bench\.ts$/, ''))
  .sort();

const [name, ...args] = process.argv.slice(2);
if (name === '--help' || name === '-h') {
  console.log(`usage: npm run bench -- [${available.join('|')}] [args]`);
  process.exit(0);
}
const selected = name === undefined ? available : [name];
for (const bench of selected) {
  if (!available.includes(bench)) {
    console.error(`unknown benchmark '${bench}'; available: ${available.join(', ') || 'none yet'}`);
    process.exit(2);
  }
  const module = (await import(pathToFileURL(path.join(dir, `${bench}.bench.ts`)).href)) as BenchModule;
  await module.run(bench === name ? args : []);
}
