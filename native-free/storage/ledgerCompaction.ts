// Reclaiming the space of dropped channels' blocks in the native-free ledger
// stream. The stream is append-only, so a dropped channel's block records
// stay in their segments; once at least half of a closed segment is such dead
// records, the segment is rewritten without them:
//   1. its live records (every block still indexed at that position, and
//      every tombstone) are written, in their order, to <segment>.tmp,
//      fdatasync;
//   2. the .tmp file is renamed over the segment, directory fsync, and in the
//      same synchronous step the moved blocks' positions are updated (block
//      reads are synchronous too, so none sees a half-updated index).
// A crash before 2 leaves the old segment (the .tmp is removed at open); after
// it, the new one; both replay to the same state: only records of dropped
// incarnations (each followed by its tombstone) are gone. The segment being
// appended to is never rewritten.

import * as fs from 'node:fs';
import type { LedgerOp } from './recordCodec.js';
import { encodeFrame, scanFrame } from './recordCodec.js';
import type { BlockPosition } from './channelState.js';
import { segmentPath } from './segmentFiles.js';

/** Bytes per ledger segment, and how many of them are dead block records. */
export class LedgerSpace {
  readonly #segmentBytes = new Map<number, number>();
  readonly #deadBytes = new Map<number, number>();

  setSize(seq: number, bytes: number): void {
    this.#segmentBytes.set(seq, bytes);
  }

  noteDead(positions: readonly BlockPosition[]): void {
    for (const p of positions) this.#deadBytes.set(p.seq, (this.#deadBytes.get(p.seq) ?? 0) + p.recordBytes);
  }

  /** Closed segments (below `currentSeq`) at least half dead, oldest first. */
  candidates(currentSeq: number): number[] {
    const out: number[] = [];
    for (const [seq, dead] of this.#deadBytes) {
      const size = this.#segmentBytes.get(seq) ?? 0;
      if (seq < currentSeq && dead > 0 && 2 * dead >= size) out.push(seq);
    }
    return out.sort((a, b) => a - b);
  }

  rewritten(seq: number, bytes: number): void {
    this.#segmentBytes.set(seq, bytes);
    this.#deadBytes.delete(seq);
  }
}

/** A block kept by a rewrite and where it moves within the segment. */
export interface MovedBlock {
  readonly channel: string;
  readonly number: number;
  readonly oldOffset: number;
  readonly newOffset: number;
}

export interface SegmentRewrite {
  readonly seq: number;
  readonly path: string;
  readonly tmpPath: string;
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  readonly moved: readonly MovedBlock[];
}

/**
 * Step 1: writes segment `seq` without its dead block records to a durable
 * .tmp file. `isLive` says whether the block record at `offset` is still
 * indexed. Undefined if nothing is dead or the segment does not scan cleanly
 * (then it is left alone: start-up reports damage, not compaction).
 */
export async function writeRewrite(
  dir: string,
  seq: number,
  isLive: (channel: string, number: number, offset: number) => boolean,
): Promise<SegmentRewrite | undefined> {
  const path = segmentPath(dir, seq);
  const buf = await fs.promises.readFile(path);
  const frames: LedgerOp[][] = [];
  const oldOffsets: number[][] = [];
  let dropped = 0;
  for (let offset = 0; offset < buf.length; ) {
    const scan = scanFrame(buf, offset);
    if (scan.kind !== 'frame') return undefined;
    const kept: LedgerOp[] = [];
    const keptOffsets: number[] = [];
    for (const rec of scan.records) {
      const op = rec.op;
      if (op.kind === 'block' && !isLive(op.channel, op.block.number, rec.offset)) {
        dropped += 1;
        continue;
      }
      if (op.kind !== 'block' && op.kind !== 'dropChannel') return undefined;
      kept.push(op);
      keptOffsets.push(rec.offset);
    }
    if (kept.length > 0) {
      frames.push(kept);
      oldOffsets.push(keptOffsets);
    }
    offset += scan.frameBytes;
  }
  if (dropped === 0) return undefined;
  const tmpPath = `${path}.tmp`;
  const moved: MovedBlock[] = [];
  const file = await fs.promises.open(tmpPath, 'w');
  let size = 0;
  try {
    for (let f = 0; f < frames.length; f++) {
      const ops = frames[f]!;
      const frame = encodeFrame(ops);
      let placed = 0;
      ops.forEach((op, i) => {
        if (op.kind !== 'block') return;
        const at = frame.blocks[placed++]!;
        moved.push({ channel: op.channel, number: op.block.number, oldOffset: oldOffsets[f]![i]!, newOffset: size + at.offsetInFrame });
      });
      await file.write(Buffer.concat(frame.chunks));
      size += frame.frameBytes;
    }
    await file.datasync();
  } finally {
    await file.close();
  }
  return { seq, path, tmpPath, bytesBefore: buf.length, bytesAfter: size, moved };
}

/** At open: a .tmp left by a crash during step 1 (its segment is intact). */
export function removeRewriteLeftovers(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const name of fs.readdirSync(dir)) if (name.endsWith('.seg.tmp')) fs.rmSync(`${dir}/${name}`);
}
