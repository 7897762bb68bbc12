// The native-free engine's on-disk format. A segment file is a sequence of
// frames; one frame is what one group-committed batch wrote to that stream
// (the WAL or the ledger), so it is atomic: a torn frame is dropped whole. A
// frame holds records, each with its own crc32, so a damaged record can be
// named by channel and index.
//
//   frame  = magic u32 | payloadBytes u32 | crc32(magic, payloadBytes) u32 | record*
//   record = metaBytes u32 | blobBytes u32 | crc32(meta, blob) u32 | meta | blob
//
// meta is a tuple [kind, channel, ...fields] (src/storage/tupleCodec.ts); blob carries the bulk
// bytes (entry data, snapshot data, block bytes) so they are never re-packed
// and a block can be read back from its byte position alone. Integers are LE.

import { crc32 } from 'node:zlib';
import type { Entry } from '../../src/raft/index.js';
import * as shapes from '../../src/storage/storedShapes.js';
import type { RecoveredLog } from '../../src/storage/memoryLog.js';
import { crc32Of } from '../../src/storage/sealedValue.js';
import type { LedgerBlock, WalOp } from '../../src/storage/walOps.js';
import { decodeTuple, encodeTuple, type TupleValue } from '../../src/storage/tupleCodec.js';

/**
 * What a record holds: a WalOp, or (WAL only) a checkpoint: a channel's whole
 * Raft log state, written at the start of a segment so older segments can go.
 */
export type FileRecord = WalOp | { readonly kind: 'checkpoint'; readonly channel: string; readonly state: RecoveredLog };

/** The records of the ledger stream: blocks and full-drop tombstones. */
export type LedgerOp = Extract<WalOp, { kind: 'block' | 'dropChannel' }>;

export const frameMagic = 0x314c5752; // "RWL1" little-endian
export const frameHeaderBytes = 12;
export const recordHeaderBytes = 12;

/** Where a block record landed inside an encoded frame. */
export interface BlockPlacement {
  readonly channel: string;
  readonly number: number;
  /** Offset of the record from the start of the frame. */
  readonly offsetInFrame: number;
  readonly recordBytes: number;
}

export interface EncodedFrame {
  readonly chunks: Buffer[];
  readonly frameBytes: number;
  readonly blocks: BlockPlacement[];
}

export function encodeFrame(ops: readonly FileRecord[]): EncodedFrame {
  const chunks: Buffer[] = [Buffer.alloc(frameHeaderBytes)];
  const blocks: BlockPlacement[] = [];
  let offset = frameHeaderBytes;
  for (const op of ops) {
    // The blob's parts go into the frame's chunks as they are: a block's pieces or a batch's entries are never joined into one buffer first.
    const { meta, blob: blobParts } = opToRecord(op);
    let blobBytes = 0;
    for (const part of blobParts) blobBytes += part.length;
    const metaBytes = encodeTuple(meta as TupleValue);
    const header = Buffer.alloc(recordHeaderBytes);
    header.writeUInt32LE(metaBytes.length, 0);
    header.writeUInt32LE(blobBytes, 4);
    header.writeUInt32LE(crc32Of([metaBytes, ...blobParts]), 8);
    const recordBytes = recordHeaderBytes + metaBytes.length + blobBytes;
    if (op.kind === 'block') blocks.push({ channel: op.channel, number: op.block.number, offsetInFrame: offset, recordBytes });
    chunks.push(header, metaBytes);
    for (const part of blobParts) if (part.length > 0) chunks.push(Buffer.from(part.buffer, part.byteOffset, part.byteLength));
    offset += recordBytes;
  }
  const payloadBytes = offset - frameHeaderBytes;
  if (payloadBytes > 0xffffffff) throw new RangeError(`frame payload of ${payloadBytes} bytes exceeds the u32 length field`);
  const head = chunks[0]!;
  head.writeUInt32LE(frameMagic, 0);
  head.writeUInt32LE(payloadBytes, 4);
  head.writeUInt32LE(crc32(head.subarray(0, 8)), 8);
  return { chunks, frameBytes: offset, blocks };
}

/** The record's meta tuple, and its blob as the parts that follow one another. */
function opToRecord(op: FileRecord): { meta: unknown[]; blob: readonly Uint8Array[] } {
  const empty: Uint8Array[] = [];
  switch (op.kind) {
    case 'entries': {
      const blob = op.entries.map((e) => e.data);
      const heads = op.entries.map((e) => [e.term, e.type, e.data.length]);
      return { meta: ['e', op.channel, op.entries[0]!.index, heads], blob };
    }
    case 'hardState':
      return { meta: ['h', op.channel, shapes.hardStateToWire(op.hardState)], blob: empty };
    case 'confState':
      return { meta: ['c', op.channel, shapes.confStateToWire(op.confState)], blob: empty };
    case 'raftId':
      return { meta: ['i', op.channel, shapes.raftIdToWire(op.record)], blob: empty };
    case 'snapshot':
    case 'resetLog': {
      const m = op.snapshot.metadata;
      return { meta: [op.kind === 'snapshot' ? 's' : 'r', op.channel, m.index, m.term, shapes.confStateToWire(m.confState)], blob: [op.snapshot.data] };
    }
    case 'compact':
      return { meta: ['k', op.channel, op.start.index, op.start.term], blob: empty };
    case 'block':
      return {
        meta: ['b', op.channel, shapes.blockHeadToWire(op.block)],
        blob: op.block.pieces === undefined ? [op.block.bytes] : [op.block.pieces.head, op.block.pieces.tail],
      };
    case 'dropChannel':
      // A tombstone: replay forgets what the stream held for the channel before it.
      return { meta: ['d', op.channel, op.keepLedger ? 1 : 0], blob: empty };
    case 'checkpoint': {
      const st = op.state;
      const blob = [st.snapshot.data, ...st.entries.map((e) => e.data)];
      const heads = st.entries.map((e) => [e.term, e.type, e.data.length]);
      const meta = [
        'x',
        op.channel,
        shapes.hardStateToWire(st.hardState),
        shapes.confStateToWire(st.confState),
        [st.snapshot.metadata.index, st.snapshot.metadata.term, shapes.confStateToWire(st.snapshot.metadata.confState), st.snapshot.data.length],
        shapes.logStartToWire(st.start),
        heads,
        // An 8th field only when a Raft id is recorded: checkpoints written before it existed read the same.
        ...(st.raftId === undefined ? [] : [shapes.raftIdToWire(st.raftId)]),
      ];
      return { meta, blob };
    }
  }
}

/** One decoded record; blob views into the segment buffer (copy what outlives it). */
export interface DecodedRecord {
  readonly op: FileRecord;
  readonly offset: number;
  readonly recordBytes: number;
}

export type FrameScan =
  | { readonly kind: 'frame'; readonly records: DecodedRecord[]; readonly frameBytes: number }
  /** Not enough bytes for the header or the payload it announces. */
  | { readonly kind: 'short' }
  /** Header, checksum or decoding failure; `channel`/`index` name the first bad record when its meta is readable. */
  | { readonly kind: 'bad'; readonly reason: string; readonly frameBytes?: number; readonly channel?: string; readonly index?: number };

/** Decodes the frame at `offset` of `buf`. */
export function scanFrame(buf: Buffer, offset: number): FrameScan {
  if (buf.length - offset < frameHeaderBytes) return { kind: 'short' };
  if (buf.readUInt32LE(offset) !== frameMagic) return { kind: 'bad', reason: 'no frame magic' };
  if (buf.readUInt32LE(offset + 8) !== crc32(buf.subarray(offset, offset + 8))) return { kind: 'bad', reason: 'frame header fails its crc32' };
  const frameBytes = frameHeaderBytes + buf.readUInt32LE(offset + 4);
  if (buf.length - offset < frameBytes) return { kind: 'short' };
  const records: DecodedRecord[] = [];
  let at = offset + frameHeaderBytes;
  const end = offset + frameBytes;
  while (at < end) {
    const rec = decodeRecord(buf, at, end);
    if ('reason' in rec) return { kind: 'bad', frameBytes, ...rec };
    records.push(rec);
    at += rec.recordBytes;
  }
  return { kind: 'frame', records, frameBytes };
}

/** Decodes one record that must end by `end`; on failure, names what it can. */
export function decodeRecord(buf: Buffer, at: number, end: number): DecodedRecord | { reason: string; channel?: string; index?: number } {
  if (end - at < recordHeaderBytes) return { reason: `record at byte ${at} is cut short` };
  const metaBytes = buf.readUInt32LE(at);
  const blobBytes = buf.readUInt32LE(at + 4);
  const recordBytes = recordHeaderBytes + metaBytes + blobBytes;
  if (end - at < recordBytes) return { reason: `record at byte ${at} overruns its frame` };
  const meta = buf.subarray(at + recordHeaderBytes, at + recordHeaderBytes + metaBytes);
  const blob = buf.subarray(at + recordHeaderBytes + metaBytes, at + recordBytes);
  const crcOk = buf.readUInt32LE(at + 8) === crc32Of([meta, blob]);
  let op: FileRecord | undefined;
  let decodeFailure = '';
  try {
    op = recordToOp(decodeTuple(meta), blob);
  } catch (err) {
    decodeFailure = String(err);
  }
  const named = op === undefined ? {} : { channel: op.channel, index: opIndex(op) };
  if (!crcOk) return { reason: `record at byte ${at} fails its crc32`, ...named };
  if (op === undefined) return { reason: `record at byte ${at} does not decode: ${decodeFailure}` };
  return { op, offset: at, recordBytes };
}

/**
 * The block a block record's meta describes, without its block bytes (`bytes` is empty): the
 * meta alone is what the txId index reads. `meta` is the record's meta bytes only, so its
 * crc32 (which covers meta and blob together) is not checked here: the record was checked
 * when start-up read the ledger stream.
 */
export function decodeBlockHead(meta: Buffer): { readonly channel: string; readonly block: LedgerBlock } {
  const tuple = decodeTuple(meta);
  if (!Array.isArray(tuple) || tuple.length !== 3 || tuple[0] !== 'b') throw new shapes.ShapeError('record meta is not [b, channel, block head]');
  return { channel: str(tuple[1]), block: shapes.blockFromWire(tuple[2], new Uint8Array(0)) };
}

/** The index an op is best named by: first raft index, snapshot index or block number. */
export function opIndex(op: FileRecord): number | undefined {
  switch (op.kind) {
    case 'checkpoint':
      return op.state.start.index;
    case 'entries':
      return op.entries[0]?.index;
    case 'snapshot':
    case 'resetLog':
      return op.snapshot.metadata.index;
    case 'compact':
      return op.start.index;
    case 'block':
      return op.block.number;
    case 'hardState':
      return op.hardState.commit;
    case 'confState':
    case 'raftId':
    case 'dropChannel':
      return undefined;
  }
}

function str(v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw new shapes.ShapeError('channel is not a string');
  return v;
}

function recordToOp(meta: unknown, blob: Buffer): FileRecord {
  if (!Array.isArray(meta) || meta.length < 3) throw new shapes.ShapeError('record meta is not [kind, channel, ...]');
  const [kind, ch] = meta;
  const channel = str(ch);
  switch (kind) {
    case 'e':
      return { kind: 'entries', channel, entries: entriesFromRecord(meta[2], meta[3], blob), removeFrom: 1, removeTo: 0 };
    case 'h':
      return { kind: 'hardState', channel, hardState: shapes.hardStateFromWire(meta[2]) };
    case 'c':
      return { kind: 'confState', channel, confState: shapes.confStateFromWire(meta[2]) };
    case 'i':
      return { kind: 'raftId', channel, record: shapes.raftIdFromWire(meta[2]) };
    case 's':
    case 'r': {
      const snapshot = shapes.snapshotFromWire([meta[2], meta[3], meta[4], blob]);
      return kind === 's' ? { kind: 'snapshot', channel, snapshot } : { kind: 'resetLog', channel, snapshot, removeFrom: 1, removeTo: 0 };
    }
    case 'k':
      return { kind: 'compact', channel, start: shapes.logStartFromWire([meta[2], meta[3]]), removeFrom: 1 };
    case 'b':
      return { kind: 'block', channel, block: shapes.blockFromWire(meta[2], blob) satisfies LedgerBlock };
    case 'x':
      return { kind: 'checkpoint', channel, state: checkpointFromRecord(meta, blob) };
    case 'd': {
      const keep = meta[2];
      if ((keep !== 0 && keep !== 1) || blob.length !== 0) throw new shapes.ShapeError('drop record is not [d, channel, 0|1] without a blob');
      return { kind: 'dropChannel', channel, keepLedger: keep === 1 };
    }
    default:
      throw new shapes.ShapeError(`unknown record kind ${String(kind)}`);
  }
}

function entriesFromRecord(first: unknown, heads: unknown, blob: Buffer): Entry[] {
  if (typeof first !== 'number' || !Number.isSafeInteger(first) || first < 1) throw new shapes.ShapeError('first index is not a positive integer');
  if (!Array.isArray(heads) || heads.length === 0) throw new shapes.ShapeError('entry heads are not a non-empty list');
  const entries: Entry[] = [];
  let at = 0;
  heads.forEach((h, i) => {
    const [term, type, len] = Array.isArray(h) && h.length === 3 ? h : [];
    if (typeof len !== 'number' || !Number.isSafeInteger(len) || len < 0 || at + len > blob.length) {
      throw new shapes.ShapeError(`entry ${first + i} has a bad length`);
    }
    entries.push(shapes.entryFromWire([term, type, blob.subarray(at, at + len)], first + i));
    at += len;
  });
  if (at !== blob.length) throw new shapes.ShapeError('entry lengths do not add up to the blob');
  return entries;
}

function checkpointFromRecord(meta: unknown[], blob: Buffer): RecoveredLog {
  if (meta.length !== 7 && meta.length !== 8) throw new shapes.ShapeError('checkpoint meta is not a 7- or 8-tuple');
  const snap = meta[4];
  if (!Array.isArray(snap) || snap.length !== 4) throw new shapes.ShapeError('checkpoint snapshot is not a 4-tuple');
  const snapBytes = snap[3];
  if (typeof snapBytes !== 'number' || !Number.isSafeInteger(snapBytes) || snapBytes < 0 || snapBytes > blob.length) {
    throw new shapes.ShapeError('checkpoint snapshot length is bad');
  }
  const snapshot = shapes.snapshotFromWire([snap[0], snap[1], snap[2], blob.subarray(0, snapBytes)]);
  const start = shapes.logStartFromWire(meta[5]);
  const heads = meta[6];
  const entries = Array.isArray(heads) && heads.length === 0 ? [] : entriesFromRecord(start.index + 1, heads, blob.subarray(snapBytes));
  if (entries.length === 0 && snapBytes !== blob.length) throw new shapes.ShapeError('checkpoint blob is longer than its parts');
  const state = { hardState: shapes.hardStateFromWire(meta[2]), confState: shapes.confStateFromWire(meta[3]), snapshot, start, entries };
  return meta.length === 8 ? { ...state, raftId: shapes.raftIdFromWire(meta[7]) } : state;
}
