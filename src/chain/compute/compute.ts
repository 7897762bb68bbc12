// The CPU-heavy work the chain hands off the main thread: checking client
// envelopes, hashing block data, signing and marshaling written blocks.
// PoolCompute runs it in the worker pool (production); InThreadCompute runs
// the very same functions on the calling thread (tests, a node without a pool).
// The orderer's signing key belongs to the compute (one per node), not to a channel.

import type { Block, EnvelopeCreator } from '../../block/index.js';
import type { OrganizationConfig } from '../../crypto/index.js';
import type { Engine, HashAlgorithm, SignatureAlgorithm } from '../../crypto/index.js';
import type { BuiltBlockEntry, EnvelopeRejection, EnvelopeVerdict, SignedMetadata, WireEtcdraftMetadata } from '../../workers/index.js';

export { REJECTION_CODES } from '../../workers/index.js';
export type { BuiltBlockEntry, EnvelopeRejection, EnvelopeVerdict, SignedMetadata, WireEtcdraftMetadata };

/**
 * What a channel's envelopes are checked against. One object per channel for
 * its whole life: an implementation may register it once (e.g. in every
 * worker) and key its caches by the object.
 */
export interface VerificationContext {
  readonly channelId: string;
  readonly engine: Engine;
  readonly hashAlgorithm: HashAlgorithm;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly organizations: readonly OrganizationConfig[];
}

/** A committed block to sign, the last config block before it and its etcdraft metadata. */
export interface BlockToSign {
  readonly block: Block;
  readonly lastConfigBlockNumber: number;
  readonly consenterMetadata: WireEtcdraftMetadata;
}

/** Number and previous header hash of a block to build. */
export interface BlockStart {
  readonly number: number;
  readonly previousHash: Uint8Array;
}

export interface ChainCompute {
  /** Threads verifyBatch calls may run on at once (a batcher spreads its calls over them); default 1. */
  readonly threads?: number;
  /**
   * One verdict per envelope, in order. Checks: well-formed Envelope with a
   * header, channel id equal to the context's, creator certificate chaining to
   * one of the organizations and valid now, signature over the payload.
   * Envelopes are read, not retained or modified. Never rejects for a bad
   * envelope (that is a verdict); rejects only if the compute itself failed.
   */
  verifyBatch(context: VerificationContext, envelopes: readonly Uint8Array[]): Promise<readonly EnvelopeVerdict[]>;
  /**
   * The leader's next block over `envelopes` (marshaled), numbered and chained
   * as `start` says, as the Raft entry it proposes (`txIds`, one per envelope,
   * ahead of the marshaled block: block/blockEntry.ts), with Fabric's data hash.
   * The entry is a buffer the caller owns; the envelopes are read, not retained.
   */
  blockEntry(engine: Engine, algorithm: HashAlgorithm, start: BlockStart, envelopes: readonly Uint8Array[], txIds: readonly string[]): Promise<BuiltBlockEntry>;
  /**
   * Each block's metadata with LAST_CONFIG and SIGNATURES filled (signed with
   * this node's orderer identity), as Fabric's BlockWriter writes it; one
   * result per block, in order. Not marshaled: the caller has the block's bytes
   * before its metadata (the Raft entry's) and appends the metadata field
   * (encodeBlockMetadataField). Several blocks in one call are one trip to the
   * pool (a follower catching up signs many blocks per Ready).
   */
  signBlocks(blocks: readonly BlockToSign[]): Promise<readonly SignedMetadata[]>;
  /**
   * Optional: signBlocks on the calling thread, synchronously (same results).
   * The block applier uses it for the blocks beyond what it keeps in the pool
   * (SIGNING_IN_FLIGHT_MAX) instead of waiting for room: a follower catching
   * up then never waits on pool threads that get little CPU (they run at a
   * lower priority than every other busy thread of the machine).
   */
  signBlocksHere?(blocks: readonly BlockToSign[]): readonly SignedMetadata[];
  /** This node's orderer identity, for the envelopes the orderer itself creates (the CONFIG envelope of a config update, as Fabric's). */
  ordererIdentity(): EnvelopeCreator;
}
