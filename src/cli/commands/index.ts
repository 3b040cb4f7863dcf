// Every `faxswitch` command, in the order `--help` lists them.
import type { CliCommand } from '../command.ts';
import { configCommand } from './config.ts';
import { didCommands } from './did.ts';
import { startCommand } from './start.ts';

export const COMMANDS: readonly CliCommand[] = [startCommand, configCommand, ...didCommands];
