// Public API of the Raft core. Pure, synchronous, deterministic; no I/O.
export type { RaftConfig } from './config.js';
export { RawNode } from './rawnode.js';
export { MemoryStorage } from './memoryStorage.js';
export { encodeConfChange, decodeConfChange } from './confChangeCodec.js';
export { StateType, stateName, describeSoftState, type SoftState, type Ready } from './state.js';
export { describeProgress, type Status } from './status.js';
export { ProgressState, progressStateName, type Progress } from './progress.js';
export { RaftError, ProposalDroppedError, type RaftErrorCode } from './errors.js';
export { RaftAssertionError } from './assert.js';
export { silentLogger, type RaftLogger } from './logger.js';
export { seededRandom } from './random.js';
export { leavesBeforeWrite } from './message.js';
export {
  describeEntry,
  describeEntries,
  describeMessage,
  describeReady,
  describeHardState,
  describeSnapshot,
  describeConfState,
  isEmptySnapshot,
  isEmptyHardState,
  goQuote,
  type EntryFormatter,
} from './describe.js';
export { StorageError, type Storage, type StorageErrorCode } from './storage.js';
export * from './types.js';
// Building blocks for durable Storage implementations outside this layer.
export { assert, assertIndexOrTerm } from './assert.js';
export { checkIncomingSnapshot, checkSnapshotPoint, MemoryEntries } from './memoryEntries.js';
