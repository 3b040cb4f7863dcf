// The shape of one `faxswitch` sub-command. Commands live one per file under src/cli/commands/ and
// are listed in src/cli/commands/index.ts; `faxswitch --help` is generated from their summaries.
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export interface CliCommand {
  /** Words that select the command, e.g. ['fax', 'send']. */
  readonly path: readonly string[];
  /** One line for `faxswitch --help`. */
  readonly summary: string;
  /** Full usage text for `faxswitch <command> --help`. */
  readonly usage: string;
  /** Runs the command; resolves to the process exit code. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** A usage error: the CLI prints it with the command's usage and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
