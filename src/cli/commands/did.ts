// `faxswitch did …`: manage inbound numbers — add, update, enable/disable, remove, show, list, and
// bulk import/export as CSV (streamed, so a million numbers never sit in memory).
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import {
  DID_CSV_COLUMNS,
  DidRegistry,
  formatRetention,
  type DidInput,
  type DidRecord,
} from '../../dids/index.ts';
import { UsageError, type CliCommand, type CliIo } from '../command.ts';
import { withRedis } from '../redis-connection.ts';

const RECORD_OPTIONS = {
  account: { type: 'string' },
  email: { type: 'string', multiple: true },
  format: { type: 'string' },
  csid: { type: 'string' },
  retention: { type: 'string' },
  webhook: { type: 'string' },
  'pgp-key': { type: 'string' },
  inactive: { type: 'boolean' },
} as const;

const RECORD_USAGE = [
  '  --account NAME          the customer account the number belongs to',
  '  --email ADDRESS         a recipient of the faxes (repeat for several)',
  '  --format pdf|tiff|both  attachment format (default pdf)',
  '  --csid TEXT             station id sent to callers (default: the number)',
  '  --retention 30d|delete-after-delivery   how long faxes are archived (default 30d)',
  '  --webhook URL           https URL notified of each received fax',
  '  --pgp-key FILE          email faxes encrypted to this OpenPGP public key (armoured); "" removes it',
  '  --inactive              registered, but calls are refused',
].join('\n');

function registryCommand(
  words: string[],
  summary: string,
  usage: string,
  action: (registry: DidRegistry, args: readonly string[], io: CliIo) => Promise<number>,
): CliCommand {
  return {
    path: ['did', ...words],
    summary,
    usage,
    run: (args, io) => withRedis((redis) => action(new DidRegistry(redis), args, io)),
  };
}

function oneNumber(positionals: readonly string[]): string {
  const [number, ...rest] = positionals;
  if (!number || rest.length > 0) throw new UsageError('expected exactly one number');
  return number;
}

function describe(record: DidRecord): string {
  return [
    `${record.number}  ${record.active ? 'active' : 'INACTIVE'}  account ${record.account}`,
    `  recipients: ${record.recipients.join(', ')}`,
    `  attachment: ${record.attachmentFormat}   station id: ${record.stationId}   retention: ${formatRetention(record.retention)}`,
    ...(record.webhookUrl ? [`  webhook: ${record.webhookUrl}`] : []),
    ...(record.pgpPublicKey ? ['  emails encrypted with OpenPGP'] : []),
  ].join('\n');
}

function recordChanges(values: {
  account?: string | undefined;
  email?: string[] | undefined;
  format?: string | undefined;
  csid?: string | undefined;
  retention?: string | undefined;
  webhook?: string | undefined;
  'pgp-key'?: string | undefined;
  inactive?: boolean | undefined;
}): Partial<Omit<DidInput, 'number'>> {
  const keyFile = values['pgp-key'];
  return {
    ...(values.account !== undefined ? { account: values.account } : {}),
    ...(values.email !== undefined ? { recipients: values.email } : {}),
    ...(values.format !== undefined ? { attachmentFormat: values.format } : {}),
    ...(values.csid !== undefined ? { stationId: values.csid } : {}),
    ...(values.retention !== undefined ? { retention: values.retention } : {}),
    ...(values.webhook !== undefined ? { webhookUrl: values.webhook } : {}),
    ...(keyFile !== undefined ? { pgpPublicKey: keyFile === '' ? '' : readFileSync(keyFile, 'utf8') } : {}),
    ...(values.inactive !== undefined ? { active: !values.inactive } : {}),
  };
}

const add = registryCommand(
  ['add'],
  'register an inbound number and where its faxes go',
  `usage: faxswitch did add <+E.164 number> --account NAME --email ADDRESS [options]\n\n${RECORD_USAGE}`,
  async (registry, args, io) => {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: RECORD_OPTIONS,
      allowPositionals: true,
    });
    if (!values.account || !values.email)
      throw new UsageError('--account and at least one --email are required');
    const record = await registry.add({
      number: oneNumber(positionals),
      account: values.account,
      recipients: values.email,
      ...recordChanges(values),
    });
    io.out(`added ${describe(record)}`);
    return 0;
  },
);

const update = registryCommand(
  ['update'],
  'change a registered number (only the options given)',
  `usage: faxswitch did update <number> [options]\n\n${RECORD_USAGE}\n  (--email replaces the whole recipient list)`,
  async (registry, args, io) => {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: RECORD_OPTIONS,
      allowPositionals: true,
    });
    const changes = recordChanges(values);
    if (Object.keys(changes).length === 0)
      throw new UsageError('nothing to change: give at least one option');
    io.out(`updated ${describe(await registry.update(oneNumber(positionals), changes))}`);
    return 0;
  },
);

function setActive(active: boolean): CliCommand {
  const verb = active ? 'enable' : 'disable';
  return registryCommand(
    [verb],
    active ? 'accept calls to a number again' : 'refuse calls to a number, keeping its settings',
    `usage: faxswitch did ${verb} <number>`,
    async (registry, args, io) => {
      const record = await registry.update(oneNumber(args), { active });
      io.out(`${record.number} is now ${active ? 'active' : 'inactive'}`);
      return 0;
    },
  );
}

const remove = registryCommand(
  ['remove'],
  'forget a number (calls to it are refused as unknown)',
  'usage: faxswitch did remove <number>',
  async (registry, args, io) => {
    const number = oneNumber(args);
    await registry.remove(number);
    io.out(`removed ${number}`);
    return 0;
  },
);

const show = registryCommand(
  ['show'],
  'show one number',
  'usage: faxswitch did show <number>',
  async (registry, args, io) => {
    const record = await registry.lookup(oneNumber(args));
    if (!record) {
      io.err(`${args[0]} is not registered`);
      return 1;
    }
    io.out(describe(record));
    return 0;
  },
);

const list = registryCommand(
  ['list'],
  'list numbers in order, a page at a time',
  'usage: faxswitch did list [--account NAME] [--after NUMBER] [--limit N]',
  async (registry, args, io) => {
    const { values } = parseArgs({
      args: [...args],
      options: {
        account: { type: 'string' },
        after: { type: 'string' },
        limit: { type: 'string', default: '50' },
      },
    });
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
      throw new UsageError('--limit takes 1 to 10000');
    const records = await registry.list({
      limit,
      ...(values.account ? { account: values.account } : {}),
      ...(values.after ? { after: values.after } : {}),
    });
    for (const record of records) {
      io.out(
        `${record.number.padEnd(16)} ${record.active ? 'active  ' : 'inactive'} ${record.account.padEnd(16)} ${record.recipients.join(', ')}`,
      );
    }
    if (records.length === limit) io.out(`(more: --after ${records[records.length - 1]?.number})`);
    return 0;
  },
);

const importCsv = registryCommand(
  ['import'],
  'create or replace numbers from a CSV file',
  `usage: faxswitch did import <file.csv>\n\nColumns (header row required; recipients separated by ';'):\n  ${DID_CSV_COLUMNS.join(',')}\nRows with errors are reported by line and skipped; the others are imported.`,
  async (registry, args, io) => {
    const file = oneNumber(args);
    const started = performance.now();
    const result = await registry.importCsv(createReadStream(file, { highWaterMark: 256 * 1024 }));
    const seconds = (performance.now() - started) / 1000;
    for (const { line, error } of result.rejections) io.err(`line ${line}: ${error}`);
    if (result.rejected > result.rejections.length) {
      io.err(`… and ${result.rejected - result.rejections.length} more rejected rows`);
    }
    io.out(
      `imported ${result.imported} numbers, rejected ${result.rejected} rows in ${seconds.toFixed(1)} s ` +
        `(${Math.round(result.imported / Math.max(seconds, 0.001))} numbers/s)`,
    );
    return result.rejected > 0 ? 1 : 0;
  },
);

const exportCsv = registryCommand(
  ['export'],
  'write every number as CSV (to a file or standard output)',
  'usage: faxswitch did export [file.csv]',
  async (registry, args, io) => {
    const stream = args[0] ? createWriteStream(args[0]) : process.stdout;
    const count = await registry.exportCsv(async (text) => {
      if (!stream.write(text)) await once(stream, 'drain');
    });
    if (args[0]) {
      stream.end();
      await once(stream, 'finish');
      io.out(`exported ${count} numbers to ${args[0]}`);
    }
    return 0;
  },
);

export const didCommands: readonly CliCommand[] = [
  add,
  update,
  setActive(true),
  setActive(false),
  remove,
  show,
  list,
  importCsv,
  exportCsv,
];
