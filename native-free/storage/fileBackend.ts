// The native-free engine: the same StorageBackend as LMDB, on plain files, in
// two append-only segment streams under the environment directory:
//   wal/     Raft records of every channel (entries, hard/conf state, snapshots)
//   ledger/  block records of every channel, kept forever
// A group-committed batch writes one frame to each stream it touches: first
// the ledger frame (fdatasync), then the WAL frame (fdatasync). Each
// submission touches one stream only, so each is atomic; across streams the
// order gives what LMDB's single transaction gives for the case that matters:
// if a snapshot (WAL) is durable, the block it was taken at, queued before it,
// is durable too. A crash between the two can leave the ledger ahead of the
// local hard state, which is benign: the block came from an entry the cluster
// committed, and replays at or below the ledger's last raft index are skipped.
//
// The WAL does not grow forever: when the segments behind the current one hold
// more than twice what the live Raft state takes, a checkpoint frame (every
// channel's whole log as persisted) starts a fresh segment and the older
// segments are deleted, as etcd's WAL releases segments before a snapshot.
//
// A channel drop is a tombstone record: replay forgets what the stream held
// for the channel before it. A drop that keeps the ledger writes one in the
// WAL only; a full drop writes one in each stream, bracketed by an intent file
// (pendingDrops.ts) so a crash between the two frames is finished at open.
//
// Limits (documented, not hidden): start-up reads the whole ledger stream to
// rebuild block positions (kept in memory), so it grows with the ledger; the
// txId index is bounded (src/storage/txIdHorizon.ts) and built at the first
// lookup. A dropped channel's Raft records leave the disk with the next WAL
// checkpoint; its blocks leave when the closed ledger segments they are in are
// at least half dead (ledgerCompaction.ts, run by finishDrop); until then they
// are dead bytes, skipped at start-up.

import * as fs from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { DropStep, RecoveredLedger, StorageBackend, TxIdCoverage, TxLocation } from '../../src/storage/backend.js';
import { emptyRecoveredLedger } from '../../src/storage/backend.js';
import { StorageCorruptError, type RecordLocation } from '../../src/storage/errors.js';
import { MemoryLog, type RecoveredLog } from '../../src/storage/memoryLog.js';
import type { TxIdHorizonSettings } from '../../src/storage/txIdHorizon.js';
import type { LedgerBlock, WalOp } from '../../src/storage/walOps.js';
import type { ChannelState } from './channelState.js';
import { LedgerSpace, removeRewriteLeftovers, writeRewrite } from './ledgerCompaction.js';
import { decodeBlockHead, decodeRecord, encodeFrame, opIndex, recordHeaderBytes, type FileRecord, type LedgerOp } from './recordCodec.js';
import { replayStream, type StreamReplay } from './replay.js';
import { checkNoGaps, forgetPart, getOrCreate, replayBlockRecord, replayRaftRecord } from './replayRecords.js';
import { clearPendingDrops, readPendingDrops, writePendingDrops } from './pendingDrops.js';
import { fsyncDir, listSegments, segmentPath, SegmentWriter } from './segmentFiles.js';

type DropOp = Extract<WalOp, { kind: 'dropChannel' }>;

export interface FileBackendOptions {
  readonly segmentMaxBytes: number;
  readonly logger?: Logger | undefined;
  /** The directory held an environment: both streams must be there. */
  readonly mustExist: boolean;
  /** Tests only: called at each step of a full channel drop, once that step is durable. */
  readonly dropStepHook?: ((step: DropStep) => void) | undefined;
  /** How many of each channel's newest tx ids txLocation finds (src/storage/txIdHorizon.ts). */
  readonly txIdHorizon: TxIdHorizonSettings;
}

export class FileBackend implements StorageBackend {
  readonly engine = 'native-free' as const;
  readonly #walDir: string;
  readonly #ledgerDir: string;
  readonly #channels: Map<string, ChannelState>;
  readonly #wal: SegmentWriter;
  readonly #ledger: SegmentWriter;
  /** Size of each WAL segment on disk, by sequence number (the reclaimable ones are all but the current). */
  readonly #walSegmentBytes: Map<number, number>;
  readonly #logger: Logger | undefined;
  readonly #dropStepHook: ((step: DropStep) => void) | undefined;
  readonly #txIdHorizon: TxIdHorizonSettings;
  readonly #ledgerSpace: LedgerSpace;
  /** The ledger compaction running, if any (they run one at a time); never rejects. */
  #compacting: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    options: FileBackendOptions,
    channels: Map<string, ChannelState>,
    wal: StreamReplay,
    ledger: StreamReplay,
    ledgerSpace: LedgerSpace,
  ) {
    this.#ledgerSpace = ledgerSpace;
    for (const [seq, bytes] of ledger.segmentBytes) ledgerSpace.setSize(seq, bytes);
    this.#walDir = join(dir, 'wal');
    this.#ledgerDir = join(dir, 'ledger');
    this.#channels = channels;
    this.#walSegmentBytes = wal.segmentBytes;
    this.#logger = options.logger;
    this.#dropStepHook = options.dropStepHook;
    this.#txIdHorizon = options.txIdHorizon;
    this.#wal = new SegmentWriter(this.#walDir, options.segmentMaxBytes, wal.lastSeq, wal.lastSize);
    this.#ledger = new SegmentWriter(this.#ledgerDir, options.segmentMaxBytes, ledger.lastSeq, ledger.lastSize);
  }

  /** Replays both streams in `dir` (created if missing); repairs a torn last frame; throws StorageCorruptError otherwise. */
  static open(dir: string, options: FileBackendOptions): FileBackend {
    const walDir = join(dir, 'wal');
    const ledgerDir = join(dir, 'ledger');
    for (const stream of [walDir, ledgerDir]) {
      if (options.mustExist && listSegments(stream).length === 0) {
        throw new StorageCorruptError({ file: stream }, 'no segment files, but this directory held an environment');
      }
    }
    fs.mkdirSync(walDir, { recursive: true });
    fs.mkdirSync(ledgerDir, { recursive: true });
    removeRewriteLeftovers(ledgerDir);
    const channels = new Map<string, ChannelState>();
    const state = (ch: string): ChannelState => getOrCreate(channels, ch);
    const ledgerSpace = new LedgerSpace();
    try {
      const wal = replayStream(
        walDir,
        { firstSegment: 'checkpoint-or-1' },
        (rec, _seq, path) => replayRaftRecord(channels, state(rec.op.channel), rec, path),
        options.logger,
      );
      const ledger = replayStream(
        ledgerDir,
        { firstSegment: 'must-be-1' },
        (rec, seq, path) => replayBlockRecord(channels, state(rec.op.channel), rec, seq, path, ledgerSpace),
        options.logger,
      );
      checkNoGaps(channels);
      const backend = new FileBackend(dir, options, channels, wal, ledger, ledgerSpace);
      backend.#finishPendingDrops();
      return backend;
    } catch (err) {
      if (err instanceof StorageCorruptError) throw err;
      throw new StorageCorruptError({ file: dir }, `cannot replay the storage: ${String(err)}`, { cause: err });
    }
  }

  channels(): string[] {
    return [...this.#channels.keys()];
  }

  async writeBatch(ops: readonly WalOp[]): Promise<void> {
    const raftOps = ops.filter((op) => op.kind !== 'block');
    const ledgerOps = ops.filter((op): op is LedgerOp => op.kind === 'block' || (op.kind === 'dropChannel' && !op.keepLedger));
    const fullDrops = ledgerOps.filter((op): op is DropOp => op.kind === 'dropChannel').map((op) => op.channel);
    if (fullDrops.length > 0) {
      writePendingDrops(this.dir, fullDrops);
      this.#dropStepHook?.('intent-durable');
    }
    if (ledgerOps.length > 0) await this.#writeLedger(ledgerOps);
    if (fullDrops.length > 0) this.#dropStepHook?.('ledger-tombstone-durable');
    if (raftOps.length > 0) await this.#writeRaft(raftOps);
    if (fullDrops.length > 0) {
      this.#dropStepHook?.('wal-tombstone-durable');
      clearPendingDrops(this.dir);
    }
  }

  recoverLog(channel: string): RecoveredLog {
    return (this.#channels.get(channel)?.log ?? new MemoryLog(channel)).export();
  }

  recoverLedger(channel: string): RecoveredLedger {
    return this.#channels.get(channel)?.summary ?? emptyRecoveredLedger;
  }

  readBlock(channel: string, number: number): LedgerBlock {
    const { at, bytes } = this.#readRecordBytes(channel, number, (pos) => pos.recordBytes);
    const rec = decodeRecord(bytes, 0, bytes.length);
    if ('reason' in rec) throw new StorageCorruptError(at, rec.reason);
    if (rec.op.kind !== 'block' || rec.op.channel !== channel || opIndex(rec.op) !== number) {
      throw new StorageCorruptError(at, 'the record at the block position is another record');
    }
    return rec.op.block;
  }

  /**
   * The tx ids of block `number` from its record's meta alone, a few percent of the record:
   * the txId index reads them to confirm a hash hit and to build itself backwards.
   */
  readBlockTxIds(channel: string, number: number): readonly string[] {
    const { at, bytes } = this.#readRecordBytes(channel, number, (pos, fd) => {
      const header = Buffer.allocUnsafe(recordHeaderBytes);
      if (fs.readSync(fd, header, 0, recordHeaderBytes, pos.offset) !== recordHeaderBytes) return 0;
      return Math.min(pos.recordBytes, recordHeaderBytes + header.readUInt32LE(0));
    });
    if (bytes.length <= recordHeaderBytes) throw new StorageCorruptError(at, 'the block record has no meta');
    let head: ReturnType<typeof decodeBlockHead>;
    try {
      head = decodeBlockHead(bytes.subarray(recordHeaderBytes));
    } catch (err) {
      throw new StorageCorruptError(at, `the block record's meta does not decode: ${String(err)}`);
    }
    if (head.channel !== channel || head.block.number !== number) throw new StorageCorruptError(at, 'the record at the block position is another record');
    return head.block.txIds;
  }

  /** The first `length(pos, fd)` bytes of block `number`'s record (all of them, or its header and meta). */
  #readRecordBytes(
    channel: string,
    number: number,
    length: (pos: { offset: number; recordBytes: number }, fd: number) => number,
  ): { at: RecordLocation; bytes: Buffer } {
    const pos = this.#channels.get(channel)?.blocks[number];
    const file = pos === undefined ? this.#ledgerDir : segmentPath(this.#ledgerDir, pos.seq);
    const at = { file, channel, index: number, what: 'block number' as const };
    if (pos === undefined) throw new StorageCorruptError(at, 'no stored position for the block');
    const fd = fs.openSync(file, 'r');
    try {
      const bytes = Buffer.allocUnsafe(length(pos, fd));
      const got = fs.readSync(fd, bytes, 0, bytes.length, pos.offset);
      if (got !== bytes.length) throw new StorageCorruptError(at, `record cut short (${got} of ${bytes.length} bytes)`);
      return { at, bytes };
    } finally {
      fs.closeSync(fd);
    }
  }

  txLocation(channel: string, txId: string, hash?: number): TxLocation | undefined {
    return this.#channels.get(channel)?.locateTx(txId, hash, (number) => this.readBlockTxIds(channel, number), this.#txIdHorizon);
  }

  get txIdsCovered(): number {
    return this.#txIdHorizon.txIdsMax;
  }

  txIdCoverage(): Map<string, TxIdCoverage> {
    const out = new Map<string, TxIdCoverage>();
    for (const [channel, state] of this.#channels) {
      const coverage = state.txIdCoverage;
      if (coverage !== undefined) out.set(channel, coverage);
    }
    return out;
  }

  /** The tombstones written by writeBatch are the drop; what is left is space: ledger segments now mostly dead are rewritten. */
  async finishDrop(_channel: string): Promise<void> {
    const run = this.#compacting.then(() => this.#compactLedger());
    this.#compacting = run.catch((err: unknown) => this.#logger?.error({ err }, 'ledger compaction failed: the dead blocks stay on disk'));
    await run;
  }

  async close(): Promise<void> {
    await this.#compacting;
    this.#wal.close();
    this.#ledger.close();
  }

  async #writeRaft(ops: readonly WalOp[]): Promise<void> {
    const seqBefore = this.#wal.seq;
    const frame = encodeFrame(ops);
    const at = await this.#wal.append(frame.chunks, frame.frameBytes);
    this.#walSegmentBytes.set(at.seq, at.offset + frame.frameBytes);
    // The persisted image follows the disk, op by op, in write order.
    for (const op of ops) {
      if (op.kind === 'dropChannel') forgetPart(this.#channels, op.channel, 'log');
      else getOrCreate(this.#channels, op.channel).applyRaft(op);
    }
    if (at.seq !== seqBefore) await this.#maybeCheckpoint();
  }

  async #writeLedger(ops: readonly LedgerOp[]): Promise<void> {
    const frame = encodeFrame(ops);
    const at = await this.#ledger.append(frame.chunks, frame.frameBytes);
    this.#ledgerSpace.setSize(at.seq, at.offset + frame.frameBytes);
    // Positions are recorded once durable: the ledger reads only durable blocks.
    // In frame order: a tombstone forgets the blocks before it, not after.
    let placed = 0;
    for (const op of ops) {
      if (op.kind === 'dropChannel') {
        forgetPart(this.#channels, op.channel, 'ledger', this.#ledgerSpace);
        continue;
      }
      const b = frame.blocks[placed++]!;
      getOrCreate(this.#channels, b.channel).noteBlock(op.block, { seq: at.seq, offset: at.offset + b.offsetInFrame, recordBytes: b.recordBytes });
    }
  }

  /** At open: a full drop the intent file still names is written again in both streams, then the file goes. */
  #finishPendingDrops(): void {
    const pending = readPendingDrops(this.dir);
    if (pending.length === 0) return;
    const tombstones: DropOp[] = pending.map((channel) => ({ kind: 'dropChannel', channel, keepLedger: false }));
    const ledgerFrame = encodeFrame(tombstones);
    const ledgerAt = this.#ledger.appendSync(ledgerFrame.chunks, ledgerFrame.frameBytes);
    this.#ledgerSpace.setSize(ledgerAt.seq, ledgerAt.offset + ledgerFrame.frameBytes);
    const walFrame = encodeFrame(tombstones);
    const at = this.#wal.appendSync(walFrame.chunks, walFrame.frameBytes);
    this.#walSegmentBytes.set(at.seq, at.offset + walFrame.frameBytes);
    for (const channel of pending) {
      forgetPart(this.#channels, channel, 'ledger', this.#ledgerSpace);
      forgetPart(this.#channels, channel, 'log');
    }
    clearPendingDrops(this.dir);
    this.#logger?.warn({ channels: pending }, 'channel drop interrupted by a crash: finished at open');
  }

  /** Rewrites, one by one, the closed ledger segments at least half dead (ledgerCompaction.ts). */
  async #compactLedger(): Promise<void> {
    for (const seq of this.#ledgerSpace.candidates(this.#ledger.seq)) {
      const rewrite = await writeRewrite(this.#ledgerDir, seq, (channel, number, offset) => {
        const pos = this.#channels.get(channel)?.blocks[number];
        return pos !== undefined && pos.seq === seq && pos.offset === offset;
      });
      if (rewrite === undefined) continue;
      this.#dropStepHook?.('ledger-rewrite-written');
      // One synchronous step: the file and the positions change together.
      fs.renameSync(rewrite.tmpPath, rewrite.path);
      fsyncDir(this.#ledgerDir);
      for (const m of rewrite.moved) {
        const ch = this.#channels.get(m.channel);
        const pos = ch?.blocks[m.number];
        if (ch !== undefined && pos !== undefined && pos.seq === seq && pos.offset === m.oldOffset) ch.blocks[m.number] = { ...pos, offset: m.newOffset };
      }
      this.#ledgerSpace.rewritten(seq, rewrite.bytesAfter);
      this.#dropStepHook?.('ledger-segment-rewritten');
      this.#logger?.info(
        { segment: rewrite.path, bytesBefore: rewrite.bytesBefore, bytesAfter: rewrite.bytesAfter },
        'ledger segment rewritten without the blocks of dropped channels',
      );
    }
  }

  /** After a segment roll: if the old segments outweigh the live state twice, checkpoint and delete them. */
  async #maybeCheckpoint(): Promise<void> {
    let oldBytes = 0;
    for (const [seq, bytes] of this.#walSegmentBytes) if (seq < this.#wal.seq) oldBytes += bytes;
    let liveBytes = 0;
    for (const ch of this.#channels.values()) liveBytes += ch.checkpointBytes();
    if (oldBytes < 2 * liveBytes) return;
    // A channel holding only a ledger (its Raft state dropped) has nothing to checkpoint.
    const records: FileRecord[] = [...this.#channels.values()]
      .filter((ch) => ch.hasRaftState)
      .map((ch) => ({ kind: 'checkpoint', channel: ch.channel, state: ch.log.export() }));
    const frame = encodeFrame(records);
    const at = await this.#wal.append(frame.chunks, frame.frameBytes, true);
    this.#walSegmentBytes.set(at.seq, at.offset + frame.frameBytes);
    // Only once the checkpoint is durable may what it replaces go.
    const doomed = [...this.#walSegmentBytes.keys()].filter((seq) => seq < at.seq);
    for (const seq of doomed) {
      fs.rmSync(segmentPath(this.#walDir, seq));
      this.#walSegmentBytes.delete(seq);
    }
    fsyncDir(this.#walDir);
    this.#logger?.info(
      { checkpointSegment: at.seq, deletedSegments: doomed.length, reclaimedBytes: oldBytes, checkpointBytes: frame.frameBytes },
      'WAL checkpoint written, older segments deleted',
    );
  }
}
