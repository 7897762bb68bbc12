// Operating errors of the node layer. `code` is stable; the message names the
// file or channel at fault.

import { OrdererError } from '../errors.js';

/** The removed-channels journal in the data directory cannot be read. */
export class RemovedChannelsFileError extends OrdererError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('REMOVED_CHANNELS_FILE', message, options);
  }
}
