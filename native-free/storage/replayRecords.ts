// Start-up of the native-free engine, record by record: how each record of
// the WAL and ledger streams changes the channels' image (ChannelState), and
// the tombstone rule shared with the running engine (forgetPart).

import { StorageCorruptError } from '../../src/storage/errors.js';
import type { RaftIdRecord, WalOp } from '../../src/storage/walOps.js';
import { ChannelState } from './channelState.js';
import type { LedgerSpace } from './ledgerCompaction.js';
import { opIndex, type DecodedRecord } from './recordCodec.js';

export function getOrCreate(channels: Map<string, ChannelState>, channel: string): ChannelState {
  let c = channels.get(channel);
  if (c === undefined) {
    c = new ChannelState(channel);
    channels.set(channel, c);
  }
  return c;
}

/** A tombstone's effect on the engine's image: the part goes; a channel with nothing left is forgotten. */
export function forgetPart(channels: Map<string, ChannelState>, channel: string, part: 'log' | 'ledger', space?: LedgerSpace): void {
  const ch = channels.get(channel);
  if (ch === undefined) return;
  if (part === 'log') ch.dropLog();
  else space?.noteDead(ch.dropLedger());
  if (ch.isEmpty()) channels.delete(channel);
}

export function replayRaftRecord(channels: Map<string, ChannelState>, ch: ChannelState, rec: DecodedRecord, path: string): void {
  const op = rec.op;
  if (op.kind === 'block')
    throw new StorageCorruptError({ file: path, channel: op.channel, index: op.block.number, what: 'block number' }, 'a block record in the WAL stream');
  if (op.kind === 'checkpoint') {
    const { raftId } = op.state;
    ch.restoreCheckpoint({
      ...op.state,
      snapshot: copySnapshot(op.state.snapshot),
      entries: op.state.entries.map(copyEntry),
      ...(raftId !== undefined && { raftId: copyRaftId(raftId) }),
    });
    return;
  }
  if (op.kind === 'dropChannel') {
    forgetPart(channels, op.channel, 'log');
    return;
  }
  ch.applyRaft(copyBulk(op));
}

export function replayBlockRecord(
  channels: Map<string, ChannelState>,
  ch: ChannelState,
  rec: DecodedRecord,
  seq: number,
  path: string,
  space: LedgerSpace,
): void {
  const op = rec.op;
  if (op.kind === 'dropChannel' && !op.keepLedger) {
    forgetPart(channels, op.channel, 'ledger', space);
    return;
  }
  if (op.kind !== 'block') throw new StorageCorruptError({ file: path, channel: op.channel, index: opIndex(op) }, `a ${op.kind} record in the ledger stream`);
  const at = { seq, offset: rec.offset, recordBytes: rec.recordBytes };
  const expected = ch.gap?.next ?? ch.summary.height;
  if (op.block.number !== expected && !(ch.gap === undefined && op.block.number > expected)) {
    throw new StorageCorruptError(
      { file: path, channel: op.channel, index: op.block.number, what: 'block number' },
      `block out of sequence (expected block ${expected})`,
    );
  }
  // Blocks missing before this one: a compaction removed the earlier blocks of
  // a dropped incarnation, whose tombstone must follow (checked at the end).
  if (ch.gap !== undefined || op.block.number > expected) {
    ch.gap = { next: op.block.number + 1, file: ch.gap?.file ?? path, number: ch.gap?.number ?? op.block.number };
    space.noteDead([at]);
    return;
  }
  // Block bytes are not kept (the position is enough to read them back); the
  // header hash is copied so it does not pin the whole segment buffer.
  const block = { ...op.block, headerHash: new Uint8Array(op.block.headerHash) };
  ch.noteBlock(block, at);
}

/** After the ledger replay: a gap no tombstone explained means blocks were lost. */
export function checkNoGaps(channels: Map<string, ChannelState>): void {
  for (const ch of channels.values()) {
    if (ch.gap === undefined) continue;
    throw new StorageCorruptError(
      { file: ch.gap.file, channel: ch.channel, index: ch.gap.number, what: 'block number' },
      `block out of sequence (expected block ${ch.summary.height}) and no drop of the channel follows: blocks are missing`,
    );
  }
}

/** Entry and snapshot data are views into the segment buffer: copy them so the buffer can be freed. */
function copyEntry<T extends { data: Uint8Array }>(e: T): T {
  return { ...e, data: new Uint8Array(e.data) };
}
function copySnapshot<T extends { data: Uint8Array }>(s: T): T {
  return { ...s, data: new Uint8Array(s.data) };
}
function copyRaftId(r: RaftIdRecord): RaftIdRecord {
  return { raftId: r.raftId, configBlock: new Uint8Array(r.configBlock) };
}
function copyBulk(op: WalOp): WalOp {
  switch (op.kind) {
    case 'entries':
      return { ...op, entries: op.entries.map(copyEntry) };
    case 'snapshot':
    case 'resetLog':
      return { ...op, snapshot: copySnapshot(op.snapshot) };
    case 'raftId':
      return { ...op, record: copyRaftId(op.record) };
    default:
      return op;
  }
}
