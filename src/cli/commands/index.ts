// Every `faxswitch` command, in the order `--help` lists them.
import type { CliCommand } from '../command.ts';
import { accountCommands } from './account.ts';
import { campaignCommands } from './campaign.ts';
import { configCommand } from './config.ts';
import { didCommands } from './did.ts';
import { faxReceiveCommand } from './fax-receive.ts';
import { faxSendCommand } from './fax-send.ts';
import { inboundCommands } from './inbound.ts';
import { outboundCommands } from './outbound.ts';
import { startCommand } from './start.ts';

export const COMMANDS: readonly CliCommand[] = [
  startCommand,
  configCommand,
  faxSendCommand,
  faxReceiveCommand,
  ...didCommands,
  ...inboundCommands,
  ...outboundCommands,
  ...accountCommands,
  ...campaignCommands,
];
