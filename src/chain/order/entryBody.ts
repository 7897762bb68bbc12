// Where a signed block's bulk already is on this node's disk. A node writes
// the committed block with its own signature metadata; everything before the
// metadata (header and envelopes, ~all of a 500 KB block) is byte for byte
// the block the entry carried, which the Raft log persisted. The ledger is
// told so (LedgerBlock.entryBody) and may store a reference instead of
// writing those bytes a second time.

import { blockBytesBeforeMetadata } from '../../block/index.js';
import type { EntryBodySlice } from '../../storage/index.js';

/**
 * The slice of `entryData` that `signed` should start with: the part of the
 * entry's block (`entryBlock`, a view into `entryData`) before its metadata;
 * undefined when there is none. Not compared here: the storage engine
 * compares the bytes before it stores a reference, and stores the block
 * whole when they differ.
 */
export function sharedEntryBody(entryData: Uint8Array, entryBlock: Uint8Array, signed: Uint8Array): EntryBodySlice | undefined {
  if (entryBlock.buffer !== entryData.buffer) return undefined;
  const offset = entryBlock.byteOffset - entryData.byteOffset;
  if (offset < 0 || offset + entryBlock.length > entryData.length) return undefined;
  const length = blockBytesBeforeMetadata(entryBlock);
  if (length === 0 || length > signed.length) return undefined;
  return { offset, length };
}
