// The native-free engine: the same StorageBackend as LMDB, on plain files.
// Every op of every channel goes to one append-only WAL (segment files, one
// frame per group-committed batch, fdatasync per batch). At open the WAL is
// replayed into memory: each channel's Raft log, and its ledger summary with
// the byte position of every block (blocks are read back from the segments).
//
// Limits (documented, not hidden): segments are never reclaimed (raft entries
// older than a snapshot stay on disk; the ledger needs its blocks forever
// anyway), start-up time grows with the WAL, and the txId index lives in
// memory. A second process must not open the same directory.

import * as fs from 'node:fs';
import type { Logger } from 'pino';
import type { RecoveredLedger, StorageBackend, TxLocation } from '../../src/storage/backend.js';
import { emptyRecoveredLedger } from '../../src/storage/backend.js';
import { StorageCorruptError } from '../../src/storage/errors.js';
import { MemoryLog, type RecoveredLog } from '../../src/storage/memoryLog.js';
import type { LedgerBlock, WalOp } from '../../src/storage/walOps.js';
import { decodeRecord, encodeFrame, opIndex } from './recordCodec.js';
import { newChannelReplay, replaySegments, type ChannelReplay } from './replay.js';
import { segmentPath, SegmentWriter } from './segmentFiles.js';

export interface FileBackendOptions {
  readonly segmentMaxBytes: number;
  readonly logger?: Logger | undefined;
}

export class FileBackend implements StorageBackend {
  readonly engine = 'native-free' as const;
  readonly #channels: Map<string, ChannelReplay>;
  readonly #writer: SegmentWriter;

  private constructor(
    readonly dir: string,
    channels: Map<string, ChannelReplay>,
    writer: SegmentWriter,
  ) {
    this.#channels = channels;
    this.#writer = writer;
  }

  /** Replays the WAL in `dir` (created if missing); repairs a torn last frame; throws StorageCorruptError otherwise. */
  static open(dir: string, options: FileBackendOptions): FileBackend {
    fs.mkdirSync(dir, { recursive: true });
    let replayed;
    try {
      replayed = replaySegments(dir, options.logger);
    } catch (err) {
      if (err instanceof StorageCorruptError) throw err;
      throw new StorageCorruptError({ file: dir }, `cannot replay the WAL: ${String(err)}`, { cause: err });
    }
    const writer = new SegmentWriter(dir, options.segmentMaxBytes, replayed.lastSeq, replayed.lastSize);
    return new FileBackend(dir, replayed.channels, writer);
  }

  channels(): string[] {
    return [...this.#channels.keys()];
  }

  async writeBatch(ops: readonly WalOp[]): Promise<void> {
    const frame = encodeFrame(ops);
    const at = await this.#writer.append(frame.chunks, frame.frameBytes);
    // Positions are recorded once durable: the ledger reads only durable blocks.
    for (const b of frame.blocks) {
      this.#channel(b.channel).blocks.push({ seq: at.seq, offset: at.offset + b.offsetInFrame, recordBytes: b.recordBytes });
    }
    for (const op of ops) {
      if (op.kind === 'block') this.#channel(op.channel).noteBlock(op.block);
    }
  }

  recoverLog(channel: string): RecoveredLog {
    // Handed over once: the environment keeps the live log from here on.
    const replay = this.#channels.get(channel);
    const log = replay?.log ?? new MemoryLog(channel);
    if (replay !== undefined) replay.log = undefined;
    return log.export();
  }

  recoverLedger(channel: string): RecoveredLedger {
    return this.#channels.get(channel)?.summary ?? emptyRecoveredLedger;
  }

  readBlock(channel: string, number: number): LedgerBlock {
    const pos = this.#channels.get(channel)?.blocks[number];
    const file = pos === undefined ? this.dir : segmentPath(this.dir, pos.seq);
    if (pos === undefined) throw new StorageCorruptError({ file, channel, index: number, what: 'block number' }, 'no stored position for the block');
    const buf = Buffer.allocUnsafe(pos.recordBytes);
    const fd = fs.openSync(file, 'r');
    try {
      const got = fs.readSync(fd, buf, 0, pos.recordBytes, pos.offset);
      if (got !== pos.recordBytes) throw new StorageCorruptError({ file, channel, index: number, what: 'block number' }, `record cut short (${got} of ${pos.recordBytes} bytes)`);
    } finally {
      fs.closeSync(fd);
    }
    const rec = decodeRecord(buf, 0, buf.length);
    if ('reason' in rec) throw new StorageCorruptError({ file, channel, index: number, what: 'block number' }, rec.reason);
    if (rec.op.kind !== 'block' || rec.op.channel !== channel || opIndex(rec.op) !== number) {
      throw new StorageCorruptError({ file, channel, index: number, what: 'block number' }, 'the record at the block position is another record');
    }
    return rec.op.block;
  }

  txLocation(channel: string, txId: string): TxLocation | undefined {
    return this.#channels.get(channel)?.txIndex.get(txId);
  }

  async close(): Promise<void> {
    this.#writer.close();
  }

  #channel(channel: string): ChannelReplay {
    let c = this.#channels.get(channel);
    if (c === undefined) {
      c = newChannelReplay(channel);
      this.#channels.set(channel, c);
    }
    return c;
  }
}
