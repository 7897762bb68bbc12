// Every message between the main thread and a pool worker, in one place.
//
// A task is a discriminated union on `kind`; so is its result. Bytes of a
// batch (envelopes, block data, block metadata) travel as one PackedBytes:
// a single ArrayBuffer plus entry offsets, so the whole batch can be
// transferred (or cloned) as one unit instead of one clone per entry.
//
// Contexts (a channel's verification rules, the orderer's signing key) are
// built once per worker and kept in a bounded cache. Tasks carry a ContextId;
// every result of a context task names the worker thread that holds the
// context, and the front attaches the spec only until every worker has
// confirmed holding it. A worker that lacks it anyway (a replaced thread, an
// evicted entry) answers `contextMissing` and the front re-runs the task with
// the spec attached.

import type { Status } from '../block/index.js';
import type { OrganizationConfig } from '../crypto/index.js';
import type { Engine, HashAlgorithm, SignatureAlgorithm } from '../crypto/index.js';

/**
 * Entries packed back to back: entry i is bytes [offsets[i], offsets[i+1]) of `buffer`.
 * Invariant: offsets.length = count + 1, offsets[0] = 0, non-decreasing,
 * offsets[count] <= buffer.byteLength. Whoever receives it owns it.
 */
export interface PackedBytes {
  readonly buffer: ArrayBuffer;
  readonly offsets: Uint32Array;
}

/** Strings back to back: entry i is joined.slice(sum of lengths[0..i), + lengths[i]) (UTF-16 lengths). */
export interface PackedStrings {
  readonly joined: string;
  readonly lengths: Uint32Array;
}

/** Assigned by the front, never reused in a pool's life. Invariant: safe positive integer. */
export type ContextId = number;

/** What a worker needs to verify a channel's envelopes; immutable once registered. */
export interface VerificationContextSpec {
  readonly kind: 'verification';
  /** Envelopes of any other channel are refused (BAD_REQUEST). */
  readonly channelId: string;
  readonly engine: Engine;
  /** Creators must hold keys of this algorithm (ecdsa-p256, or sm2 on a GM channel). */
  readonly signatureAlgorithm: SignatureAlgorithm;
  /** The channel's organizations with their root and intermediate CA certificates (PEM). */
  readonly organizations: readonly OrganizationConfig[];
  /** Bound of each worker's accepted-creator LRU. */
  readonly identityCacheEntriesMax: number;
}

/** The orderer's block-signing identity, as Fabric's BlockWriter signs with it. */
export interface SignerContextSpec {
  readonly kind: 'signer';
  readonly engine: Engine;
  readonly algorithm: SignatureAlgorithm;
  /** PKCS#8 PEM (as in a Fabric MSP keystore). A secret: it lives only in the pool's threads. */
  readonly privateKeyPem: string;
  /** Marshaled SerializedIdentity{mspid, id_bytes: PEM certificate} of the key. */
  readonly serializedIdentity: Uint8Array;
}

export type ContextSpec = VerificationContextSpec | SignerContextSpec;

/** A context reference; `spec` is attached only after the worker said it lacks it (or on load). */
export interface ContextRef {
  readonly id: ContextId;
  readonly spec?: ContextSpec;
}

export interface WireBlockHeader {
  readonly number: number;
  readonly previousHash: Uint8Array;
  readonly dataHash: Uint8Array;
}

/** etcdraft BlockMetadata as the chain fills it when writing a block. */
export interface WireEtcdraftMetadata {
  readonly consenterIds: readonly number[];
  readonly nextConsenterId: number;
  readonly raftIndex: number;
}

export type WorkerTask =
  /** Builds (and so validates) a context in the worker that takes it. */
  | { readonly kind: 'loadContext'; readonly context: Required<ContextRef> }
  | {
      readonly kind: 'verifyBatch';
      readonly context: ContextRef;
      readonly envelopes: PackedBytes;
      /** Validity instant for creator certificates (ms since epoch): the main thread owns time. */
      readonly nowMs: number;
    }
  /** Fabric's data hash alone, for the block creator (which hashes the small header itself). */
  | { readonly kind: 'dataHash'; readonly engine: Engine; readonly hashAlgorithm: HashAlgorithm; readonly data: PackedBytes }
  | {
      readonly kind: 'hashBlock';
      readonly engine: Engine;
      readonly hashAlgorithm: HashAlgorithm;
      readonly number: number;
      readonly previousHash: Uint8Array;
      readonly data: PackedBytes;
    }
  | {
      /** The leader's next block: data hash, and the Raft entry carrying the block (tx ids ahead of it: block/blockEntry.ts). */
      readonly kind: 'blockEntry';
      readonly engine: Engine;
      readonly hashAlgorithm: HashAlgorithm;
      readonly number: number;
      readonly previousHash: Uint8Array;
      readonly data: PackedBytes;
      /** Tx id of each envelope of `data`, '' for none. */
      readonly txIds: PackedStrings;
    }
  | { readonly kind: 'marshalBlock'; readonly header: WireBlockHeader; readonly data: PackedBytes; readonly metadata: PackedBytes }
  | {
      /**
       * Signs the metadata of each of `blocks` (each signature over that block's header and metadata); the worker
       * never sees the data. Several blocks in one task: a follower catching up applies many per Ready.
       */
      readonly kind: 'signBlocks';
      readonly context: ContextRef;
      readonly blocks: readonly BlockToSignWire[];
    };

/** One block of a signBlocks task. */
export interface BlockToSignWire {
  readonly header: WireBlockHeader;
  /** The block's single envelope (to tell a config block), or none when it has several: blockTasks.signingStandIn. */
  readonly data: PackedBytes;
  readonly metadata: PackedBytes;
  /** Number of the last config block before this one. */
  readonly lastConfigBlockNumber: number;
  /** undefined: empty consenter metadata (as Fabric on a consensus-type migration). */
  readonly consenterMetadata: WireEtcdraftMetadata | undefined;
}

export type TaskKind = WorkerTask['kind'];

/** Why one envelope was refused: BAD_REQUEST (malformed, wrong channel) or FORBIDDEN (identity, signature). */
export interface EnvelopeRejection {
  readonly ok: false;
  readonly status: Status.BAD_REQUEST | Status.FORBIDDEN;
  /** Stable code: an OrdererError code (BAD_ENVELOPE, IDENTITY_UNTRUSTED...) or one of REJECTION_CODES. */
  readonly code: string;
  /** Names the input that was wrong; fit to send back to the client. */
  readonly reason: string;
  /** Only with code UNEXPECTED: the stack of what failed, for the orderer's log (not for the client). */
  readonly cause?: string;
}

export interface EnvelopeAcceptance {
  readonly ok: true;
  readonly channelId: string;
  readonly txId: string;
  /** ChannelHeader.type (a HeaderType). */
  readonly type: number;
  /** Fabric's message size for the block cutter: len(payload) + len(signature). */
  readonly sizeBytes: number;
  /** Until when (ms since epoch) the creator and every CA of its chain are valid: a Deliver session ends then. */
  readonly creatorValidUntilMs: number;
}

export type EnvelopeVerdict = EnvelopeAcceptance | EnvelopeRejection;

/** Codes of rejections that are not an OrdererError of a lower layer. */
export const REJECTION_CODES = {
  wrongChannel: 'WRONG_CHANNEL',
  unsigned: 'UNSIGNED',
  algorithmMismatch: 'CREATOR_ALGORITHM_MISMATCH',
  badSignature: 'BAD_SIGNATURE',
  /** Reading or checking the envelope threw something no layer names (a bug, or input a library refused). */
  unexpected: 'UNEXPECTED',
} as const;

/**
 * Verdicts of a verifyBatch, packed (packedVerdicts.ts): entry i of `count` is
 * numbers[4i..4i+3] (1 accepted or the rejection's Status; type; sizeBytes; creatorValidUntilMs)
 * and two strings (accepted: channelId, txId; rejected: code, reason) whose
 * UTF-16 lengths are stringLengths[2i], stringLengths[2i+1], back to back in `strings`.
 */
export interface PackedVerdicts {
  readonly count: number;
  readonly numbers: Float64Array;
  readonly stringLengths: Uint32Array;
  readonly strings: string;
}

/** threadId (node:worker_threads) of the worker that holds the task's context. */
export type WorkerThreadId = number;

export type WorkerResult =
  | { readonly kind: 'contextMissing'; readonly contextId: ContextId }
  /** The task met an operating error (an OrdererError): its class name, stable code and message. */
  | { readonly kind: 'taskFailed'; readonly name: string; readonly code: string; readonly message: string }
  | { readonly kind: 'contextLoaded'; readonly contextId: ContextId; readonly heldBy: WorkerThreadId }
  /** Entry i of `verdicts` (packedVerdicts.ts) is the verdict of envelope i of the task. */
  | { readonly kind: 'verdicts'; readonly verdicts: PackedVerdicts; readonly heldBy: WorkerThreadId }
  | { readonly kind: 'dataHash'; readonly dataHash: Uint8Array }
  | { readonly kind: 'blockHashes'; readonly headerHash: Uint8Array; readonly dataHash: Uint8Array }
  /** The Raft entry of a new block (a buffer of its own, transferred) and the block's data hash. */
  | { readonly kind: 'blockEntry'; readonly entry: Uint8Array; readonly dataHash: Uint8Array }
  /** A marshaled common.Block. */
  | { readonly kind: 'blockBytes'; readonly bytes: Uint8Array }
  /** Per block of a signBlocks task, in order: its signed metadata entries, and the last config block number after it. */
  | {
      readonly kind: 'signedMetadata';
      readonly blocks: readonly { readonly metadata: PackedBytes; readonly lastConfigBlockNumber: number }[];
      readonly heldBy: WorkerThreadId;
    };
