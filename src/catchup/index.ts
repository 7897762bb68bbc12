// The catch-up layer's public front: pulling missing blocks of a channel from
// the other orderers over Deliver (Fabric keeps its BlockPuller in
// common/cluster), verified before they enter the local ledger: the hash chain
// of every block, the orderer signature of each batch's last block and of every
// config block (Fabric's VerifyBlocks), by an orderer organization of the
// config in force (each config block installs the next).

export { BlockPuller, PULL_ROUNDS_MAX_DEFAULT, type BlockSource, type BlockPullerOptions } from './blockPuller.js';
export { PULL_BATCH_BLOCKS_MAX, PULL_BATCH_BYTES_MAX, PULL_BATCH_PAUSE_MS } from './pulledBatches.js';
export { PulledBlockVerifier, BlockPullError, type PulledBlockVerifierOptions, type ChainTip } from './pulledBlockVerifier.js';
export { DeliverBlockSource, type DeliverSourceOptions, type DeliverSourceTls } from './deliverSource.js';
export { createChannelPuller, deliverEndpointsOf, deliverSourcesOf, type ChannelPullerOptions, type DeliverEndpoints } from './channelPuller.js';
export { CatchUpMetrics } from './catchUpMetrics.js';
export type { SnapshotCatchUp } from './snapshotCatchUp.js';
