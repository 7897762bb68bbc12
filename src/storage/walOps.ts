// The mutations a channel makes to durable storage, as data. Both engines
// persist the same ops: LMDB turns them into key puts/removes inside one
// transaction, the native-free engine appends them to a segment file. One
// group-committed batch is a list of ops from many channels, written atomically.

import type { ConfState, Entry, HardState, Snapshot } from '../raft/index.js';

/**
 * A block as the ledger stores it: its marshaled bytes plus the fields the
 * ledger needs without decoding them (the block layer's decoder fills these).
 * The ledger owns `bytes` once appended: callers must not mutate it.
 */
export interface LedgerBlock {
  readonly number: number;
  /** Header hash of this block (the next block's previousHash must equal it). */
  readonly headerHash: Uint8Array;
  readonly previousHash: Uint8Array;
  /** Raft index of the entry this block came from (0 for a genesis block written outside Raft). */
  readonly raftIndex: number;
  /** True for a config block: it becomes the channel's last config. */
  readonly isConfig: boolean;
  /** Transaction ids in block order; position i is the envelope index in the block. */
  readonly txIds: readonly string[];
  /**
   * txIdHash (txIdHashes.ts) of each of txIds, when the caller computed them
   * already (a leader's duplicate check): the tx-id index takes them instead
   * of hashing every id again. Never stored.
   */
  readonly txIdHashes?: Int32Array | undefined;
  /** The marshaled (protobuf) block. */
  readonly bytes: Uint8Array;
  /**
   * Where the block's bulk already is on this node's disk: `bytes[0, length)`
   * equals bytes `[offset, offset + length)` of the data of the Raft entry at
   * `raftIndex`, which this node persisted before the block was appended. An
   * engine may then store only a reference and the rest of `bytes` (the
   * node's signed metadata): the block is written once (see STORAGE.md).
   * Undefined: the block is not from a persisted entry (genesis, catch-up).
   */
  readonly entryBody?: EntryBodySlice | undefined;
  /**
   * `bytes` as the two pieces the block was assembled from, when it was
   * (ledgerBlockOfPieces): `bytes` = head ‖ tail. An engine that needs only
   * the pieces (a reference to the entry body and the rest) reads these, and
   * the block's ~500 KB are never copied into one buffer.
   */
  readonly pieces?: BlockPieces | undefined;
}

export interface BlockPieces {
  /** The block's bytes before its metadata: a view into the Raft entry's data (entryBody says where). */
  readonly head: Uint8Array;
  /** The rest: this node's marshaled metadata field. */
  readonly tail: Uint8Array;
}

/**
 * A LedgerBlock whose bytes are `pieces.head` ‖ `pieces.tail`, joined into
 * one buffer only when something reads `bytes` (once, then kept).
 */
export function ledgerBlockOfPieces(fields: Omit<LedgerBlock, 'bytes' | 'pieces'>, pieces: BlockPieces): LedgerBlock {
  let joined: Uint8Array | undefined;
  const block = { ...fields, pieces } as LedgerBlock;
  Object.defineProperty(block, 'bytes', {
    enumerable: true,
    get: (): Uint8Array => {
      joined ??= Buffer.concat([pieces.head, pieces.tail]);
      return joined;
    },
  });
  return block;
}

/** Length of a block's bytes, without joining its pieces. */
export function ledgerBlockLength(block: LedgerBlock): number {
  return block.pieces === undefined ? block.bytes.length : block.pieces.head.length + block.pieces.tail.length;
}

/** A byte range of a Raft entry's data: `[offset, offset + length)`. */
export interface EntryBodySlice {
  readonly offset: number;
  readonly length: number;
}

/** The log's start: the entry at `index` is compacted but its term is still answered. */
export interface LogStart {
  readonly index: number;
  readonly term: number;
}

/**
 * The Raft id this node runs a channel as, recorded when a config block gave
 * it one of its own (a channel that removed the node and added it back under
 * a new id): the id and that config block (marshaled). Part of the channel's
 * Raft state: written before Raft runs under the id, dropped with the rest.
 */
export interface RaftIdRecord {
  readonly raftId: number;
  readonly configBlock: Uint8Array;
}

export type WalOp =
  /**
   * Entries written at their indexes; every stored entry in
   * [`removeFrom`, `removeTo`] that they do not overwrite is deleted
   * (truncation of a conflicting suffix). `removeFrom > removeTo` = nothing.
   */
  | { readonly kind: 'entries'; readonly channel: string; readonly entries: readonly Entry[]; readonly removeFrom: number; readonly removeTo: number }
  | { readonly kind: 'hardState'; readonly channel: string; readonly hardState: HardState }
  | { readonly kind: 'confState'; readonly channel: string; readonly confState: ConfState }
  | { readonly kind: 'raftId'; readonly channel: string; readonly record: RaftIdRecord }
  /** The stored snapshot (and conf state) becomes `snapshot`; no entry is removed. */
  | { readonly kind: 'snapshot'; readonly channel: string; readonly snapshot: Snapshot }
  /** Entries in [`removeFrom`, `start.index`] are deleted; `start` becomes the log start. */
  | { readonly kind: 'compact'; readonly channel: string; readonly start: LogStart; readonly removeFrom: number }
  /** applySnapshot: the whole log [`removeFrom`, `removeTo`] goes, the snapshot point becomes the log start. */
  | { readonly kind: 'resetLog'; readonly channel: string; readonly snapshot: Snapshot; readonly removeFrom: number; readonly removeTo: number }
  | { readonly kind: 'block'; readonly channel: string; readonly block: LedgerBlock }
  /**
   * WalEnvironment.dropChannel: the channel's Raft state (entries, hard state,
   * conf state, snapshot, log start, Raft id record) goes, and unless `keepLedger` its blocks
   * and txId index too. Ops of the channel earlier in the same batch go with it.
   */
  | { readonly kind: 'dropChannel'; readonly channel: string; readonly keepLedger: boolean };

/** Bytes an op puts on disk, roughly: used for batch bounds, not for accounting. */
export function opBytes(op: WalOp): number {
  switch (op.kind) {
    case 'entries': {
      let n = 64;
      for (const e of op.entries) n += e.data.length + 24;
      return n;
    }
    case 'snapshot':
    case 'resetLog':
      return op.snapshot.data.length + 128;
    case 'block':
      return ledgerBlockLength(op.block) + 128 + op.block.txIds.length * 72;
    case 'raftId':
      return op.record.configBlock.length + 64;
    default:
      return 64;
  }
}
