// Start-up of the native-free engine: read every segment in order, verify
// every frame, and rebuild each channel's state. A torn LAST frame (a crash
// during its write: it was never acknowledged) is cut off; any other bad
// record stops start-up with an error naming the file, the channel and the
// index, because dropping it would silently lose committed data.

import * as fs from 'node:fs';
import type { Logger } from 'pino';
import type { RecoveredLedger, TxLocation } from '../../src/storage/backend.js';
import { emptyRecoveredLedger } from '../../src/storage/backend.js';
import { StorageCorruptError } from '../../src/storage/errors.js';
import { MemoryLog } from '../../src/storage/memoryLog.js';
import type { LedgerBlock, WalOp } from '../../src/storage/walOps.js';
import { frameHeaderBytes, frameMagic, scanFrame, type FrameScan } from './recordCodec.js';
import { listSegments, type SegmentRef } from './segmentFiles.js';
import { crc32 } from 'node:zlib';

/** Where a block record is, to read it back. */
export interface BlockPosition {
  readonly seq: number;
  readonly offset: number;
  readonly recordBytes: number;
}

/** One channel as rebuilt from the WAL, then kept up to date for the ledger side. */
export class ChannelReplay {
  /** The Raft log rebuilt by replay; handed over once (recoverLog) and then dropped. */
  log: MemoryLog | undefined;
  summary: RecoveredLedger = emptyRecoveredLedger;
  /** Invariant: blocks.length === summary.height once a batch is complete (blocks[n] is block n). */
  readonly blocks: BlockPosition[] = [];
  /** First occurrence of each txId. */
  readonly txIndex = new Map<string, TxLocation>();

  constructor(readonly channel: string) {
    this.log = new MemoryLog(channel);
  }

  noteBlock(block: LedgerBlock): void {
    this.summary = {
      height: block.number + 1,
      lastHeaderHash: block.headerHash,
      lastConfig: block.isConfig ? block.number : this.summary.lastConfig,
      lastRaftIndex: block.raftIndex,
    };
    block.txIds.forEach((txId, position) => {
      if (!this.txIndex.has(txId)) this.txIndex.set(txId, { blockNumber: block.number, position });
    });
  }
}

export function newChannelReplay(channel: string): ChannelReplay {
  return new ChannelReplay(channel);
}

export interface ReplayResult {
  readonly channels: Map<string, ChannelReplay>;
  /** The segment to continue writing and its size after any repair. */
  readonly lastSeq: number;
  readonly lastSize: number;
}

export function replaySegments(dir: string, logger?: Logger): ReplayResult {
  const segments = listSegments(dir);
  const channels = new Map<string, ChannelReplay>();
  if (segments.length === 0) return { channels, lastSeq: 1, lastSize: 0 };
  let lastSize = 0;
  segments.forEach((seg, i) => {
    lastSize = replaySegment(seg, i === segments.length - 1, channels, logger);
  });
  return { channels, lastSeq: segments[segments.length - 1]!.seq, lastSize };
}

/** Replays one segment; returns its size after repair. */
function replaySegment(seg: SegmentRef, isLast: boolean, channels: Map<string, ChannelReplay>, logger?: Logger): number {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(seg.path);
  } catch (err) {
    throw new StorageCorruptError({ file: seg.path }, `cannot read the segment: ${String(err)}`, { cause: err });
  }
  let offset = 0;
  while (offset < buf.length) {
    const scan = scanFrame(buf, offset);
    if (scan.kind === 'frame') {
      for (const rec of scan.records) applyRecord(channels, rec.op, seg.seq, offset, rec.offset, rec.recordBytes);
      offset += scan.frameBytes;
      continue;
    }
    if (isLast && !hasFrameAfter(buf, offset)) {
      repairTornTail(seg.path, offset, buf.length, scan, logger);
      return offset;
    }
    const bad = scan.kind === 'bad' ? scan : { reason: 'frame cut short', channel: undefined, index: undefined };
    const named = bad.channel === undefined ? { index: offset, what: 'byte offset' as const } : { channel: bad.channel, index: bad.index, what: undefined };
    throw new StorageCorruptError(
      { file: seg.path, ...named },
      `${bad.reason} (frame at byte ${offset}); it is not a torn last write, so start-up stops rather than drop data`,
    );
  }
  return buf.length;
}

function applyRecord(channels: Map<string, ChannelReplay>, op: WalOp, seq: number, frameOffset: number, recordOffset: number, recordBytes: number): void {
  let ch = channels.get(op.channel);
  if (ch === undefined) {
    ch = new ChannelReplay(op.channel);
    channels.set(op.channel, ch);
  }
  if (op.kind === 'block') {
    if (op.block.number !== ch.summary.height) {
      throw new StorageCorruptError(
        { file: `segment ${seq}`, channel: op.channel, index: op.block.number, what: 'block number' },
        `block out of sequence at byte ${frameOffset} (height was ${ch.summary.height})`,
      );
    }
    ch.blocks.push({ seq, offset: recordOffset, recordBytes });
    ch.noteBlock(op.block);
    return;
  }
  ch.log!.replay(copyBulk(op));
}

/** Entry and snapshot data are views into the segment buffer: copy them so the buffer can be freed. */
function copyBulk(op: WalOp): WalOp {
  switch (op.kind) {
    case 'entries':
      return { ...op, entries: op.entries.map((e) => ({ ...e, data: new Uint8Array(e.data) })) };
    case 'snapshot':
    case 'resetLog':
      return { ...op, snapshot: { ...op.snapshot, data: new Uint8Array(op.snapshot.data) } };
    default:
      return op;
  }
}

/** True if a well-formed frame header starts anywhere after `offset`: then the damage is in the middle. */
function hasFrameAfter(buf: Buffer, offset: number): boolean {
  for (let p = offset + 1; p + frameHeaderBytes <= buf.length; p++) {
    if (buf.readUInt32LE(p) === frameMagic && buf.readUInt32LE(p + 8) === crc32(buf.subarray(p, p + 8))) return true;
  }
  return false;
}

function repairTornTail(path: string, offset: number, size: number, scan: FrameScan, logger?: Logger): void {
  const fd = fs.openSync(path, 'r+');
  try {
    fs.ftruncateSync(fd, offset);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  const reason = scan.kind === 'bad' ? scan.reason : 'frame cut short';
  logger?.warn({ file: path, offset, droppedBytes: size - offset, reason }, `WAL: torn last frame (${reason}) cut off at byte ${offset}; it was never acknowledged`);
}
