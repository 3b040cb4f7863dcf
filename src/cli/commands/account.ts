// `faxswitch account …`: Email2Fax customer accounts — create and change them (dial plan, limits,
// caller id, cover page, PIN), set a submission login's password, allow MX senders, list them.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AccountStore, type Account } from '../../accounts/index.ts';
import { CLUSTER_PREFIX } from '../../switch/index.ts';
import { UsageError, type CliCommand, type CliIo } from '../command.ts';
import { withRedis } from '../redis-connection.ts';

const ACCOUNT_OPTIONS = {
  name: { type: 'string' },
  'home-country': { type: 'string' },
  'allow-country': { type: 'string', multiple: true },
  'allow-prefix': { type: 'string', multiple: true },
  'block-prefix': { type: 'string', multiple: true },
  'allow-premium': { type: 'boolean' },
  'faxes-per-hour': { type: 'string' },
  'pages-per-day': { type: 'string' },
  'caller-id': { type: 'string' },
  'cover-page': { type: 'boolean' },
  'no-cover-page': { type: 'boolean' },
  pin: { type: 'string' },
  inactive: { type: 'boolean' },
  active: { type: 'boolean' },
} as const;

const ACCOUNT_USAGE = [
  '  --name TEXT              the customer’s name (cover pages, page header lines)',
  '  --home-country CC        country of numbers written without +/00 (ISO code; default DE)',
  '  --allow-country CC       a country the account may fax to (repeat; none: any country)',
  '  --allow-prefix +PREFIX   an E.164 prefix the account may fax to (repeat)',
  '  --block-prefix +PREFIX   an E.164 prefix never dialled (repeat)',
  '  --allow-premium          allow premium-rate and shared-cost numbers (blocked by default)',
  '  --faxes-per-hour N       anti-fraud limit (default 100)',
  '  --pages-per-day N        anti-fraud limit (default 1000)',
  '  --caller-id NUMBER       calling number and fax station id the far end sees',
  '  --cover-page | --no-cover-page   lead every fax with a cover page',
  '  --pin PIN                MX senders must put [PIN …] in the subject ("" removes it)',
  '  --inactive | --active    refuse or accept the account’s mail',
].join('\n');

type AccountValues = ReturnType<typeof parseAccountArgs>['values'];

function parseAccountArgs(args: readonly string[]) {
  try {
    return parseArgs({ args: [...args], options: ACCOUNT_OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function count(label: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${label} must be a whole number, got ${value}`);
  return n;
}

/** The account with the options given applied on top of `base`. */
function applyOptions(base: Account, values: AccountValues): Account {
  if (values['cover-page'] && values['no-cover-page'])
    throw new UsageError('choose one of --cover-page and --no-cover-page');
  if (values.inactive && values.active) throw new UsageError('choose one of --active and --inactive');
  const { pin: oldPin, callerId: oldCallerId, ...rest } = base;
  const pin = values.pin === undefined ? oldPin : values.pin || undefined;
  const callerId = values['caller-id'] ?? oldCallerId;
  const faxesPerHour = count('--faxes-per-hour', values['faxes-per-hour']);
  const pagesPerDay = count('--pages-per-day', values['pages-per-day']);
  return {
    ...rest,
    ...(values.name !== undefined ? { name: values.name } : {}),
    dialPlan: {
      homeCountry: values['home-country']?.toUpperCase() ?? base.dialPlan.homeCountry,
      allowedCountries:
        values['allow-country']?.map((c) => c.toUpperCase()) ?? base.dialPlan.allowedCountries,
      allowedPrefixes: values['allow-prefix'] ?? base.dialPlan.allowedPrefixes,
      blockedPrefixes: values['block-prefix'] ?? base.dialPlan.blockedPrefixes,
      blockPremiumRate: values['allow-premium'] ? false : base.dialPlan.blockPremiumRate,
    },
    limits: {
      faxesPerHour: faxesPerHour ?? base.limits.faxesPerHour,
      pagesPerDay: pagesPerDay ?? base.limits.pagesPerDay,
    },
    ...(values['cover-page'] ? { coverPage: true } : values['no-cover-page'] ? { coverPage: false } : {}),
    ...(values.inactive ? { active: false } : values.active ? { active: true } : {}),
    ...(pin === undefined ? {} : { pin }),
    ...(callerId === undefined ? {} : { callerId }),
  };
}

function oneId(positionals: readonly string[], what = 'account id'): string {
  const [id, ...rest] = positionals;
  if (!id || rest.length > 0) throw new UsageError(`expected exactly one ${what}`);
  return id;
}

async function describe(store: AccountStore, account: Account): Promise<string> {
  const plan = account.dialPlan;
  const [logins, used] = await Promise.all([store.logins(account.id), store.usage(account, Date.now())]);
  return [
    `${account.id}  ${account.active ? 'active' : 'INACTIVE'}  "${account.name}"`,
    `  logins: ${logins.map((login) => login.address).join(', ') || 'none'}`,
    `  MX senders: ${account.allowedSenders.join(', ') || 'none'}${account.pin ? ' (PIN required)' : ''}`,
    `  dial plan: home ${plan.homeCountry}; countries ${plan.allowedCountries.join(', ') || 'any'}${
      plan.allowedPrefixes.length ? `; prefixes ${plan.allowedPrefixes.join(', ')}` : ''
    }${plan.blockedPrefixes.length ? `; blocked ${plan.blockedPrefixes.join(', ')}` : ''}${
      plan.blockPremiumRate ? '; premium-rate blocked' : ''
    }`,
    `  limits: ${account.limits.faxesPerHour} faxes/hour (${used.faxesThisHour} used this hour), ${
      account.limits.pagesPerDay
    } pages/day (${used.pagesToday} used today)`,
    `  caller id: ${account.callerId ?? 'node default'}   cover page: ${account.coverPage ? 'yes' : 'no'}`,
  ].join('\n');
}

function accountCommand(
  word: string,
  summary: string,
  usage: string,
  action: (store: AccountStore, args: readonly string[], io: CliIo) => Promise<number>,
): CliCommand {
  return {
    path: ['account', word],
    summary,
    usage,
    run: (args, io) =>
      withRedis((redis) => action(new AccountStore(redis, { namespace: CLUSTER_PREFIX }), args, io)),
  };
}

const NEW_ACCOUNT: Omit<Account, 'id' | 'name'> = {
  active: true,
  dialPlan: {
    homeCountry: 'DE',
    allowedCountries: [],
    allowedPrefixes: [],
    blockedPrefixes: [],
    blockPremiumRate: true,
  },
  limits: { faxesPerHour: 100, pagesPerDay: 1_000 },
  allowedSenders: [],
};

const add = accountCommand(
  'add',
  'create an Email2Fax account',
  `usage: faxswitch account add <id> --name TEXT [options]\n\n${ACCOUNT_USAGE}`,
  async (store, args, io) => {
    const { values, positionals } = parseAccountArgs(args);
    const id = oneId(positionals);
    if (!values.name) throw new UsageError('--name is required');
    if (await store.get(id)) throw new UsageError(`account ${id} exists; use account update`);
    const account = applyOptions({ ...NEW_ACCOUNT, id, name: values.name }, values);
    await store.save(account);
    io.out(`added ${await describe(store, account)}`);
    return 0;
  },
);

const update = accountCommand(
  'update',
  'change an Email2Fax account (only the options given)',
  `usage: faxswitch account update <id> [options]\n\n${ACCOUNT_USAGE}`,
  async (store, args, io) => {
    const { values, positionals } = parseAccountArgs(args);
    const id = oneId(positionals);
    const existing = await store.get(id);
    if (!existing) {
      io.err(`no account ${id}`);
      return 1;
    }
    const account = applyOptions(existing, values);
    await store.save(account);
    io.out(`updated ${await describe(store, account)}`);
    return 0;
  },
);

const passwd = accountCommand(
  'passwd',
  'set the password of a submission login (its address is the only sender it may use)',
  [
    'usage: faxswitch account passwd <id> <login address> (--password-stdin | --password TEXT) [--remove]',
    '',
    'Mail clients log in to the submission port with the address and password; the From of their',
    'messages must be that address. The password is stored as a salted scrypt hash.',
    '  --password-stdin   read the password from standard input (first line)',
    '  --password TEXT    the password on the command line (visible to other users of the machine)',
    '  --remove           delete the login',
  ].join('\n'),
  async (store, args, io) => {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: {
        'password-stdin': { type: 'boolean' },
        password: { type: 'string' },
        remove: { type: 'boolean' },
      },
      allowPositionals: true,
    });
    const [id, address, ...rest] = positionals;
    if (!id || !address || rest.length > 0)
      throw new UsageError('expected an account id and a login address');
    if (!/^[^@\s]+@[^@\s]+$/.test(address)) throw new UsageError(`'${address}' is not an email address`);
    if (values.remove) {
      await store.removeLogin(address);
      io.out(`removed login ${address}`);
      return 0;
    }
    const password = values['password-stdin']
      ? (readFileSync(0, 'utf8').split(/\r?\n/)[0] ?? '')
      : values.password;
    if (!password) throw new UsageError('give the password with --password-stdin or --password');
    if (password.length < 8) throw new UsageError('the password must have at least 8 characters');
    await store.setLogin(id, address, password);
    io.out(`login ${address} of account ${id} set`);
    return 0;
  },
);

const allowSender = accountCommand(
  'allow-sender',
  'allow (or --remove) an MX sender address or @domain for an account',
  [
    'usage: faxswitch account allow-sender <id> <address|@domain> [--remove]',
    '',
    'Mail arriving at the MX port is accepted from allowed senders only, and only when SPF, DKIM or',
    'DMARC proves the From domain.',
  ].join('\n'),
  async (store, args, io) => {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { remove: { type: 'boolean' } },
      allowPositionals: true,
    });
    const [id, sender, ...rest] = positionals;
    if (!id || !sender || rest.length > 0) throw new UsageError('expected an account id and a sender');
    if (!/^([^@\s]+)?@[^@\s]+\.[^@\s]+$/.test(sender))
      throw new UsageError(`'${sender}' is neither an address nor an @domain`);
    const account = await store.get(id);
    if (!account) {
      io.err(`no account ${id}`);
      return 1;
    }
    const lowered = sender.toLowerCase();
    const others = account.allowedSenders.filter((allowed) => allowed.toLowerCase() !== lowered);
    const allowedSenders = values.remove ? others : [...others, lowered];
    await store.save({ ...account, allowedSenders });
    io.out(`${values.remove ? 'removed' : 'allowed'} ${lowered} for account ${id}`);
    return 0;
  },
);

const list = accountCommand(
  'list',
  'list Email2Fax accounts with their logins, senders, dial plans and limits',
  'usage: faxswitch account list [--json]',
  async (store, args, io) => {
    const { values } = parseArgs({ args: [...args], options: { json: { type: 'boolean' } } });
    const accounts = await store.list();
    if (values.json) {
      const withLogins = await Promise.all(
        accounts.map(async (account) => ({
          ...account,
          pin: account.pin ? '[set]' : undefined,
          logins: (await store.logins(account.id)).map((login) => login.address),
          usage: await store.usage(account, Date.now()),
        })),
      );
      io.out(JSON.stringify(withLogins, null, 2));
    } else if (accounts.length === 0) io.out('no accounts yet');
    else io.out((await Promise.all(accounts.map((account) => describe(store, account)))).join('\n'));
    return 0;
  },
);

export const accountCommands: readonly CliCommand[] = [add, update, passwd, allowSender, list];
