// The catch-up layer's public front: pulling missing blocks of a channel from
// the other orderers over Deliver (Fabric keeps its BlockPuller in
// common/cluster), each block verified before it enters the local ledger.

export { BlockPuller, PULL_ROUNDS_MAX_DEFAULT, type BlockSource, type BlockPullerOptions } from './blockPuller.js';
export { PulledBlockVerifier, BlockPullError, type PulledBlockVerifierOptions, type ChainTip } from './pulledBlockVerifier.js';
export { DeliverBlockSource, type DeliverSourceOptions, type DeliverSourceTls } from './deliverSource.js';
export { createChannelPuller, deliverEndpointsOf, type ChannelPullerOptions, type DeliverEndpoints } from './channelPuller.js';
export { CatchUpMetrics } from './catchUpMetrics.js';
export type { SnapshotCatchUp } from './snapshotCatchUp.js';
