// `faxswitch config`: the configuration this node would run with, validated, secrets redacted.
import { ENVIRONMENT_VARIABLES, loadConfig, redactUrl } from '../../config/index.ts';
import type { CliCommand } from '../command.ts';

export const configCommand: CliCommand = {
  path: ['config'],
  summary: 'validate the environment and print the configuration this node would use',
  usage: [
    'usage: faxswitch config',
    '',
    'Reads the environment, reports every invalid variable (exit 1), or prints the compiled',
    'configuration as JSON with passwords redacted. Variables:',
    '',
    ...Object.entries(ENVIRONMENT_VARIABLES).map(([name, meaning]) => `  ${name.padEnd(26)} ${meaning}`),
  ].join('\n'),
  run(_args, io) {
    const config = loadConfig();
    const printable = {
      ...config,
      redisUrl: config.redisUrl ? redactUrl(config.redisUrl) : 'embedded (private redis-server)',
      natsUrl: config.natsUrl ? redactUrl(config.natsUrl) : 'embedded (private nats-server -js)',
    };
    io.out(JSON.stringify(printable, null, 2));
    return Promise.resolve(0);
  },
};
