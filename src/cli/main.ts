// `faxswitch` — the command line for operators. Dispatches to the longest matching command path.
import { UsageError, type CliCommand, type CliIo } from './command.ts';
import { COMMANDS } from './commands/index.ts';

export function renderHelp(commands: readonly CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.path.join(' ').length));
  return [
    'faxswitch — a clustered fax switch (SIP/T.38 and G.711 fax ⇄ email)',
    '',
    'usage: faxswitch <command> [options]      faxswitch <command> --help',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`),
    '',
    'Configuration comes from environment variables: see `faxswitch config --help`.',
  ].join('\n');
}

export function findCommand(
  commands: readonly CliCommand[],
  argv: readonly string[],
): { command: CliCommand; args: readonly string[] } | undefined {
  const matches = commands
    .filter((c) => c.path.every((word, i) => argv[i] === word))
    .sort((a, b) => b.path.length - a.path.length);
  const command = matches[0];
  return command ? { command, args: argv.slice(command.path.length) } : undefined;
}

export async function runCli(argv: readonly string[], io: CliIo, commands = COMMANDS): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(renderHelp(commands));
    return argv.length === 0 ? 2 : 0;
  }
  const found = findCommand(commands, argv);
  if (!found) {
    io.err(`faxswitch: unknown command '${argv.join(' ')}'\n\n${renderHelp(commands)}`);
    return 2;
  }
  if (found.args.includes('--help') || found.args.includes('-h')) {
    io.out(found.command.usage);
    return 0;
  }
  try {
    return await found.command.run(found.args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`faxswitch ${found.command.path.join(' ')}: ${error.message}\n\n${found.command.usage}`);
      return 2;
    }
    io.err(
      `faxswitch ${found.command.path.join(' ')}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  }
}
