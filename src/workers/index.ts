// The worker layer's public front: the pool, its options and errors, the
// thread protocol's verdict types, and the in-thread functions the workers run
// (for benchmarks and for comparing pool results with direct calls).

export {
  WorkerPool,
  TASKS_PER_THREAD_MAX,
  type BlockEntryInput,
  type ContextHandle,
  type HashBlockInput,
  type PoolStats,
  type BlockToSign,
  type SignBlockInput,
} from './pool.js';
export type { SignerInput, VerificationContextInput } from './contextSpecs.js';
export { fillPoolOptions, type BatchTransfer, type FilledPoolOptions, type WorkerPoolOptions } from './options.js';
export { BatchTooLargeError, PoolClosedError, PoolOptionsError, PoolOverloadedError, UnknownContextError, WorkerTaskError } from './errors.js';
export {
  REJECTION_CODES,
  type EnvelopeAcceptance,
  type EnvelopeRejection,
  type EnvelopeVerdict,
  type WireEtcdraftMetadata,
} from './protocol.js';
export { VerificationContext } from './verifyEnvelopes.js';
export { POOL_THREAD_NAME } from './thisThread.js';
export {
  buildBlockEntry,
  hashBlockData,
  hashData,
  marshalBlock,
  signAndMarshalBlock,
  signBlockMetadata,
  type BlockHashes,
  type BuiltBlockEntry,
  type SignedBlock,
  type SignedMetadata,
} from './blockTasks.js';
export { QUEUE_TASKS_PER_THREAD_DEFAULT } from './options.js';
