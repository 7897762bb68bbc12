// How long and how much a node that knows no leader holds submitted envelopes
// for the next one (forwarder.ts), from the channel's options:
// - time: one election timeout. An early campaign (liveness/leaderLoss.ts)
//   finds a leader in tens of milliseconds and the election timeout itself
//   within about one more; a gap longer than that is an outage the client
//   should hear about (SERVICE_UNAVAILABLE, and retry elsewhere).
// - envelopes: submitQueueMax, what the new leader's intake takes at once anyway.
// - bytes: maxInflightBlocks blocks of preferredMaxBytes, what the leader's
//   pipeline holds in flight.
// Each Broadcast stream's window bounds what one client adds (server/broadcast.ts).

import type { ResolvedChainOptions } from '../options.js';
import type { LeaderlessHold } from './forwarder.js';

export function leaderlessHold(opts: ResolvedChainOptions): LeaderlessHold {
  return {
    ms: opts.electionTick * opts.tickIntervalMs,
    count: opts.submitQueueMax,
    bytes: opts.maxInflightBlocks * opts.batchSize.preferredMaxBytes,
  };
}
