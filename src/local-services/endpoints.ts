// Where a single-machine node's private servers listen. Their ports are chosen at start, so the node
// writes them to <state dir>/endpoints.json and the CLI (`faxswitch did …`) reads them from there when
// REDIS_URL/NATS_URL are not set.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TerminalError } from '../../cluster/index.ts';

export interface NodeEndpoints {
  readonly redisUrl: string;
  readonly natsUrl: string;
  readonly httpUrl: string;
}

export class NoRunningNodeError extends TerminalError {}

const FILE = 'endpoints.json';

export function writeEndpoints(stateDir: string, endpoints: NodeEndpoints): void {
  writeFileSync(path.join(stateDir, FILE), `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
}

export function removeEndpoints(stateDir: string): void {
  rmSync(path.join(stateDir, FILE), { force: true });
}

export function readEndpoints(stateDir: string): NodeEndpoints {
  try {
    return JSON.parse(readFileSync(path.join(stateDir, FILE), 'utf8')) as NodeEndpoints;
  } catch {
    throw new NoRunningNodeError(
      `no running faxswitch node found in ${stateDir}: start one with \`npm start\`, ` +
        'or set REDIS_URL (and NATS_URL) to reach an existing cluster',
    );
  }
}
