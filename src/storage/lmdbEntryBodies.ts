// Block bodies on LMDB, written once per node. The data of a normal Raft entry
// (a block entry: tx ids + the leader's marshaled block, ~500 KB) is stored
// apart from the entry's record, in the 'raft-entry-bodies' database under
// the same [channel, index] key; the entry record says "data apart". When the
// ledger appends a block that came from such an entry, it stores a reference
// to the body (offset and length within the entry data) and only the bytes
// that differ (this node's signed metadata), not the block again — after
// comparing the block's bytes with the entry's data as it was written.
//
// Ownership: a body at or below the ledger's last Raft index belongs to the
// ledger (it may be referenced by a block); compaction, a log reset (snapshot
// from the leader) and a drop that keeps the ledger remove the entry records
// but never those bodies. Bodies above it belong to the Raft log alone and go
// with their entries. Raft never truncates a committed entry, so a body the
// ledger refers to is never rewritten with other bytes (a truncation at or
// below the ledger's Raft index fails the batch: it would be a Raft bug).
//
// Crash safety: one group-committed batch is one LMDB transaction. The entry
// (and its body) is durable before the block that refers to it is appended
// (the Ready loop persists before it applies; the group commit keeps
// submission order), and a reference is stored only to a body written (or
// recovered) by this process, so a block record never points at a body that
// is not on disk; a crash between the two leaves the entry in the log, and the restart
// applies it again: the block is then written, or recognised as a replay.
//
// Not reclaimed: bodies at or below the ledger's Raft index that no block
// refers to (entries committed while this node had a gap and caught up by
// pulling blocks, or a block whose signed bytes did not start with the
// entry's); they go when the channel is dropped in full.

import assert from 'node:assert/strict';
import type { Database } from 'lmdb';
import { EntryType, type Entry } from '../raft/index.js';
import { seal } from './sealedValue.js';
import * as shapes from './storedShapes.js';
import type { EntryBodySlice, LedgerBlock } from './walOps.js';

/** [channel, raft index] (lmdbWritePlan.ts's IndexKey). */
type IndexKey = [string, number];

/** An entry whose data is stored apart (a block entry): normal and not empty (a new leader's empty entry stays inline). */
export function hasBody(e: Entry): boolean {
  return e.type === EntryType.Normal && e.data.length > 0;
}

/** The entry's record, and its body's when it has one (the body in a buffer from `alloc`, which seal documents). */
export function entryRecords(e: Entry, alloc?: (size: number) => Buffer): { record: Buffer; body: Buffer | undefined } {
  if (!hasBody(e)) return { record: seal(shapes.entryToWire(e)), body: undefined };
  return { record: seal(shapes.entryApartToWire(e)), body: seal(e.data, alloc) };
}

/** One removal of the plan (the caller adds it to its write list). */
export interface Removal {
  readonly db: Database<Buffer, IndexKey>;
  readonly key: IndexKey;
}

/**
 * Removals for the entries in [from, to] of channel `ch`: every entry record,
 * and the bodies above `ledgerRaftIndex` (those at or below it are the ledger's).
 */
export function removeEntries(
  ch: string,
  from: number,
  to: number,
  ledgerRaftIndex: number,
  dbs: { entries: Database<Buffer, IndexKey>; bodies: Database<Buffer, IndexKey> },
): Removal[] {
  const removals: Removal[] = [];
  for (let i = from; i <= to; i++) {
    removals.push({ db: dbs.entries, key: [ch, i] });
    if (i > ledgerRaftIndex) removals.push({ db: dbs.bodies, key: [ch, i] });
  }
  return removals;
}

/** A truncation of a conflicting suffix never reaches an applied entry: Raft never truncates committed entries. */
export function assertTruncationAboveLedger(ch: string, removeFrom: number, removeTo: number, ledgerRaftIndex: number): void {
  assert(
    removeFrom > removeTo || removeFrom > ledgerRaftIndex,
    `channel "${ch}": truncating entries [${removeFrom}, ${removeTo}] reaches entry ${ledgerRaftIndex}, already in the ledger`,
  );
}

/**
 * Whether `body` (the data of the entry whose body is on disk, as it was
 * written) holds exactly the first `slice.length` bytes of `blockBytes` at
 * `slice.offset`: a reference is stored only after this check, so a block is
 * never stored as a reference to anything but its own bytes.
 */
export function bodyHolds(body: Uint8Array, slice: EntryBodySlice, blockBytes: Uint8Array): boolean {
  if (slice.offset < 0 || slice.length <= 0 || slice.offset + slice.length > body.length || slice.length > blockBytes.length) return false;
  const stored = Buffer.from(body.buffer, body.byteOffset + slice.offset, slice.length);
  return Buffer.compare(stored, Buffer.from(blockBytes.buffer, blockBytes.byteOffset, slice.length)) === 0;
}

/**
 * The ledger record of `block`: its head, the bytes after its entry body
 * slice and a reference to that slice when `body` (the data of entry
 * block.raftIndex, whose body is on disk) holds it; else the head and the
 * whole block (an entry stored inline by an older version, or never
 * persisted here, has no body).
 */
export function blockRecord(block: LedgerBlock, body: Uint8Array | undefined, alloc?: (size: number) => Buffer): Buffer {
  const head = shapes.blockHeadToWire(block);
  const slice = block.entryBody;
  // A block assembled from pieces (walOps.ts) is compared and stored piece by piece: its bytes are never joined here.
  const pieces = block.pieces;
  const leading = pieces !== undefined && slice !== undefined && pieces.head.length === slice.length ? pieces.head : undefined;
  if (slice === undefined || body === undefined || block.raftIndex === 0 || !bodyHolds(body, slice, leading ?? block.bytes))
    return seal([head, block.bytes], alloc);
  return seal([head, leading !== undefined ? pieces!.tail : block.bytes.subarray(slice.length), slice.offset, slice.length], alloc);
}
