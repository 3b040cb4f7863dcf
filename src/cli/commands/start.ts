// `faxswitch start`: run a node in the foreground (what `npm start` does).
import { runNodeUntilSignalled } from '../../main.ts';
import type { CliCommand } from '../command.ts';

export const startCommand: CliCommand = {
  path: ['start'],
  summary: 'run a faxswitch node in the foreground (starts private Redis/NATS when none are configured)',
  usage: [
    'usage: faxswitch start',
    '',
    'Runs one node until SIGTERM or SIGINT, then shuts down gracefully. With REDIS_URL and NATS_URL',
    'unset it starts private redis-server and nats-server processes under FAXSWITCH_STATE_DIR and',
    'stops them on exit. See `faxswitch config --help` for every variable.',
  ].join('\n'),
  run: () => runNodeUntilSignalled(),
};
