// The options every `… list` command takes: how many of the newest entries, and JSON or lines.
import { parseArgs } from 'node:util';
import { UsageError } from './command.ts';

export const LIST_USAGE = '[--limit N] [--json]';

export function parseListOptions(args: readonly string[]): { limit: number; json: boolean } {
  const { values } = parseArgs({
    args: [...args],
    options: { limit: { type: 'string' }, json: { type: 'boolean' } },
  });
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
    throw new UsageError(`--limit must be 1 to 10000, got ${values.limit}`);
  return { limit, json: values.json ?? false };
}
