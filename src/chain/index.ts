// The chain layer's public front: one channel on one node (Chain implements
// ChannelSupport), its options, the compute it needs (ChainCompute, with the
// in-thread stand-in for the worker pool) and its clock abstraction.

export * from './types.js';
export { Chain, type ChainDeps, type ChainStats } from './chain.js';
export { CHAIN_DEFAULTS, CONSENTERS_MAX, resolveChainOptions, type ChainOptions, type ResolvedChainOptions } from './options.js';
export { ChainOptionsError, ServiceUnavailableError, BadRequestError, ChainHaltedError } from './errors.js';
export type { ChainCompute, EnvelopeVerdict, VerificationContext } from './compute/compute.js';
export { InThreadCompute } from './compute/inThreadCompute.js';
export { PoolCompute } from './compute/poolCompute.js';
export { systemClock, type ChainClock, type TimerHandle } from '../clock.js';
export { firstCampaigner, goDecodeVarint } from './order/firstCampaigner.js';
export { SIGNING_IN_FLIGHT_MAX } from './order/blockApplier.js';
export { VERIFY_BATCHER_DEFAULTS } from './submit/verifyBatcher.js';
export type { EvictedVerdict, MemberVerdict, ReaddedVerdict } from './liveness/evictionSuspicion.js';
export { standingIn } from './liveness/consenterStanding.js';
export { DuplicateTxError, DUPLICATE_TX_CODE, duplicateBlockOf, TxTracker, type TxTrackerSettings } from './submit/txTracker.js';
