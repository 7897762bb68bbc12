// The chain layer's public front: one channel on one node (Chain implements
// ChannelSupport), its options, the compute it needs (ChainCompute, with the
// in-thread stand-in for the worker pool) and its clock abstraction.

export * from './types.js';
export { Chain, type ChainDeps, type ChainStats } from './chain.js';
export { CHAIN_DEFAULTS, CONSENTERS_MAX, resolveChainOptions, type ChainOptions, type ResolvedChainOptions } from './options.js';
export { ChainOptionsError, ServiceUnavailableError, BadRequestError, ChainHaltedError } from './errors.js';
export type { ChainCompute, EnvelopeVerdict, VerificationContext } from './compute.js';
export { InThreadCompute } from './inThreadCompute.js';
export { PoolCompute } from './poolCompute.js';
export { systemClock, type ChainClock, type TimerHandle } from './clock.js';
export { firstCampaigner, goDecodeVarint } from './firstCampaigner.js';
export type { SnapshotCatchUp } from './blockApplier.js';
export { BlockPuller, PULL_ROUNDS_MAX_DEFAULT, type BlockSource, type BlockPullerOptions } from './blockPuller.js';
export { PulledBlockVerifier, BlockPullError, type PulledBlockVerifierOptions, type ChainTip } from './pulledBlockVerifier.js';
export { DeliverBlockSource, type DeliverSourceOptions, type DeliverSourceTls } from './deliverSource.js';
export { createChannelPuller, deliverEndpointsOf, type ChannelPullerOptions, type DeliverEndpoints } from './channelPuller.js';
export { CatchUpMetrics } from './catchUpMetrics.js';
