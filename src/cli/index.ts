// The operator command line.
export { runCli, renderHelp, findCommand } from './main.ts';
export { UsageError, type CliCommand, type CliIo } from './command.ts';
