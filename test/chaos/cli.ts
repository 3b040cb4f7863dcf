// `npm run chaos -- --nodes 3 --jobs N --kills K --pauses P [--drains D] --seed S [--restart-redis] [--restart-nats] [--verbose]`
// prints one JSON line: {"jobs","lost","duplicates","takeover_p50_ms","takeover_p99_ms","kills","pauses",…}.
import { parseArgs } from 'node:util';
import { runChaos } from './run.ts';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '3' },
    jobs: { type: 'string', default: '200' },
    kills: { type: 'string', default: '3' },
    pauses: { type: 'string', default: '1' },
    drains: { type: 'string', default: '0' },
    seed: { type: 'string', default: '1' },
    'restart-redis': { type: 'boolean', default: false },
    'restart-nats': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
});

function count(name: string, value: string, min: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) {
    console.error(`--${name} must be an integer ≥ ${min}, got '${value}'`);
    process.exit(2);
  }
  return parsed;
}

const result = await runChaos({
  nodes: count('nodes', values.nodes, 2),
  jobs: count('jobs', values.jobs, 1),
  kills: count('kills', values.kills, 0),
  pauses: count('pauses', values.pauses, 0),
  drains: count('drains', values.drains, 0),
  seed: count('seed', values.seed, 0),
  restartRedis: values['restart-redis'],
  restartNats: values['restart-nats'],
  ...(values.verbose ? { log: (line: string) => console.error(line) } : {}),
});
console.log(JSON.stringify(result));
process.exit(result.lost === 0 && result.duplicates === 0 ? 0 : 1);
