// Operating errors of the configuration layer: every message names the field
// (as a path from the file's top: `channels[0].batchSize.preferredMaxBytes`)
// and the rule it breaks, so an operator can fix the file without the source.

import { OrdererError } from '../errors.js';

/** A value breaks its rule. `field` is the path of the value in the input. */
export class ConfigError extends OrdererError {
  constructor(
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('BAD_CONFIG', message, options);
  }
}

/** A config or referenced file cannot be read or parsed. */
export class ConfigFileError extends OrdererError {
  constructor(
    readonly file: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super('BAD_CONFIG_FILE', `${file}: ${reason}`, options);
  }
}
