// Start-up of the native-free engine: read every segment of a stream (the WAL
// or the ledger) in order, verify every frame, and hand each record to the
// caller. A torn LAST frame (a crash during its write: it was never
// acknowledged) is cut off; any other bad record stops start-up with an error
// naming the file, the channel and the index, because dropping it would
// silently lose committed data.

import * as fs from 'node:fs';
import type { Logger } from 'pino';
import { crc32 } from 'node:zlib';
import { StorageCorruptError } from '../../src/storage/errors.js';
import { frameHeaderBytes, frameMagic, scanFrame, type DecodedRecord, type FrameScan } from './recordCodec.js';
import { checkContiguous, fsyncDir, listSegments, segmentPath, type SegmentRef } from './segmentFiles.js';

export interface StreamReplay {
  /** Size of every segment on disk after repair, by sequence number. */
  readonly segmentBytes: Map<number, number>;
  /** The segment to continue writing and its size. */
  readonly lastSeq: number;
  readonly lastSize: number;
}

export interface StreamRules {
  /**
   * WAL: older segments are deleted after a checkpoint, so the first segment
   * left must begin with a checkpoint frame. Ledger: nothing is ever deleted,
   * so the first segment must be number 1.
   */
  readonly firstSegment: 'must-be-1' | 'checkpoint-or-1';
}

export type RecordSink = (rec: DecodedRecord, seq: number, path: string) => void;

export function replayStream(dir: string, rules: StreamRules, sink: RecordSink, logger?: Logger): StreamReplay {
  let segments = listSegments(dir);
  const segmentBytes = new Map<number, number>();
  if (segments.length === 0) return { segmentBytes, lastSeq: 1, lastSize: 0 };
  if (rules.firstSegment === 'checkpoint-or-1') segments = dropSegmentsBeforeCheckpoint(dir, segments, logger);
  checkContiguous(dir, segments);
  const first = segments[0]!;
  if (first.seq !== 1 && rules.firstSegment === 'must-be-1') {
    throw new StorageCorruptError({ file: segmentPath(dir, 1) }, `segment missing: the stream starts at ${first.path}`);
  }
  segments.forEach((seg, i) => {
    const mustStartWithCheckpoint = i === 0 && seg.seq !== 1;
    segmentBytes.set(seg.seq, replaySegment(seg, i === segments.length - 1, mustStartWithCheckpoint, sink, logger));
  });
  const last = segments[segments.length - 1]!;
  return { segmentBytes, lastSeq: last.seq, lastSize: segmentBytes.get(last.seq)! };
}

/**
 * Segments before the newest one that begins with a checkpoint are dead: a
 * crash interrupted their deletion after the checkpoint became durable.
 * Finish the job and replay from the checkpoint.
 */
function dropSegmentsBeforeCheckpoint(dir: string, segments: SegmentRef[], logger?: Logger): SegmentRef[] {
  for (let i = segments.length - 1; i > 0; i--) {
    if (!beginsWithCheckpoint(segments[i]!)) continue;
    const dead = segments.slice(0, i);
    for (const seg of dead) fs.rmSync(seg.path);
    fsyncDir(dir);
    logger?.info({ deleted: dead.map((s) => s.path) }, 'WAL: removed segments older than the last checkpoint (deletion had been interrupted)');
    return segments.slice(i);
  }
  return segments;
}

/** True if the segment's first frame is intact and holds only checkpoint records. */
function beginsWithCheckpoint(seg: SegmentRef): boolean {
  const fd = fs.openSync(seg.path, 'r');
  try {
    const header = Buffer.alloc(frameHeaderBytes);
    if (fs.readSync(fd, header, 0, frameHeaderBytes, 0) < frameHeaderBytes) return false;
    if (header.readUInt32LE(0) !== frameMagic || header.readUInt32LE(8) !== crc32(header.subarray(0, 8))) return false;
    const frame = Buffer.alloc(frameHeaderBytes + header.readUInt32LE(4));
    if (fs.readSync(fd, frame, 0, frame.length, 0) < frame.length) return false;
    const scan = scanFrame(frame, 0);
    return scan.kind === 'frame' && scan.records.every((r) => r.op.kind === 'checkpoint');
  } finally {
    fs.closeSync(fd);
  }
}

/** Replays one segment; returns its size after repair. */
function replaySegment(seg: SegmentRef, isLast: boolean, mustStartWithCheckpoint: boolean, sink: RecordSink, logger?: Logger): number {
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
      if (offset === 0 && mustStartWithCheckpoint && !scan.records.every((r) => r.op.kind === 'checkpoint')) {
        throw new StorageCorruptError(
          { file: seg.path, index: 0, what: 'byte offset' },
          'the oldest WAL segment does not begin with a checkpoint: older segments are missing',
        );
      }
      for (const rec of scan.records) sink(rec, seg.seq, seg.path);
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
  if (mustStartWithCheckpoint && buf.length === 0 && !isLast) {
    throw new StorageCorruptError({ file: seg.path }, 'the oldest WAL segment is empty: older segments are missing');
  }
  return buf.length;
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
  logger?.warn(
    { file: path, offset, droppedBytes: size - offset, reason },
    `WAL: torn last frame (${reason}) cut off at byte ${offset}; it was never acknowledged`,
  );
}
