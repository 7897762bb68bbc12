// Operating errors of the `orderer` command. `code` is stable (tests and
// scripts match on it); the message names the flag, file or subcommand at fault.

import { OrdererError } from '../errors.js';

/** A bad command line: unknown subcommand, unknown flag, bad flag value. Exit code 2. */
export class CliUsageError extends OrdererError {
  constructor(message: string) {
    super('CLI_USAGE', message);
  }
}

/** Something the command was asked to do could not be done (a child died, a file exists...). Exit code 1. */
export class CliRunError extends OrdererError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CLI_RUN', message, options);
  }
}
