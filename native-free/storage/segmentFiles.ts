// Append-only segment files of the native-free WAL: naming, listing, and the
// writer that appends one frame per sync and makes it durable (fdatasync; a
// new segment's directory entry is synced too). Files are never rewritten;
// the only truncation ever made is of a torn last frame, at open.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { StorageCorruptError } from '../../src/storage/errors.js';

const segmentPattern = /^wal-(\d{12})\.seg$/;

export function segmentPath(dir: string, seq: number): string {
  return join(dir, `wal-${String(seq).padStart(12, '0')}.seg`);
}

export interface SegmentRef {
  readonly seq: number;
  readonly path: string;
}

/** Segments in sequence order (gaps allowed here: see checkContiguous). */
export function listSegments(dir: string): SegmentRef[] {
  if (!fs.existsSync(dir)) return [];
  const refs: SegmentRef[] = [];
  for (const name of fs.readdirSync(dir)) {
    const m = segmentPattern.exec(name);
    if (m !== null) refs.push({ seq: Number(m[1]), path: join(dir, name) });
  }
  return refs.sort((a, b) => a.seq - b.seq);
}

/** A missing number in the sequence is corruption: a file was lost. */
export function checkContiguous(dir: string, refs: readonly SegmentRef[]): void {
  refs.forEach((r, i) => {
    if (i > 0 && r.seq !== refs[i - 1]!.seq + 1) {
      throw new StorageCorruptError({ file: segmentPath(dir, refs[i - 1]!.seq + 1) }, `segment missing between ${refs[i - 1]!.path} and ${r.path}`);
    }
  });
}

export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Where a frame was written. */
export interface FramePosition {
  readonly seq: number;
  readonly offset: number;
}

const writevAsync = promisify(fs.writev);
const fdatasyncAsync = promisify(fs.fdatasync);

export class SegmentWriter {
  /** File descriptor of the current segment; undefined once closed. */
  #fd: number | undefined;
  #seq: number;
  /** Bytes in the current segment. Invariant: equals the file's size after every completed append. */
  #size: number;

  /** Continues segment `seq` (already `size` bytes long), creating it if absent. */
  constructor(
    private readonly dir: string,
    private readonly segmentMaxBytes: number,
    seq: number,
    size: number,
  ) {
    this.#seq = seq;
    this.#size = size;
    this.#openCurrent();
  }

  /** Sequence number of the segment being written. */
  get seq(): number {
    return this.#seq;
  }

  /** Appends one frame, then fdatasyncs: resolves when it is durable. `freshSegment` starts a new segment first. */
  async append(chunks: readonly Buffer[], frameBytes: number, freshSegment = false): Promise<FramePosition> {
    if (this.#size > 0 && (freshSegment || this.#size + frameBytes > this.segmentMaxBytes)) this.#roll();
    const fd = this.#fd;
    assert(fd !== undefined, 'segment writer is closed');
    const offset = this.#size;
    let written = 0;
    while (written < frameBytes) {
      const rest = sliceFrom(chunks, written);
      const { bytesWritten } = await writevAsync(fd, rest, offset + written);
      if (bytesWritten === 0) throw new Error(`${segmentPath(this.dir, this.#seq)}: write made no progress`);
      written += bytesWritten;
    }
    await fdatasyncAsync(fd);
    this.#size = offset + frameBytes;
    return { seq: this.#seq, offset };
  }

  /**
   * append, synchronously: for the few frames written while the engine opens
   * (finishing an interrupted channel drop), when nothing else is writing.
   */
  appendSync(chunks: readonly Buffer[], frameBytes: number): FramePosition {
    if (this.#size > 0 && this.#size + frameBytes > this.segmentMaxBytes) this.#roll();
    const fd = this.#fd;
    assert(fd !== undefined, 'segment writer is closed');
    const offset = this.#size;
    let written = 0;
    while (written < frameBytes) {
      const bytesWritten = fs.writevSync(fd, sliceFrom(chunks, written), offset + written);
      if (bytesWritten === 0) throw new Error(`${segmentPath(this.dir, this.#seq)}: write made no progress`);
      written += bytesWritten;
    }
    fs.fdatasyncSync(fd);
    this.#size = offset + frameBytes;
    return { seq: this.#seq, offset };
  }

  close(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) fs.closeSync(fd);
  }

  #openCurrent(): void {
    const path = segmentPath(this.dir, this.#seq);
    const existed = fs.existsSync(path);
    this.#fd = fs.openSync(path, existed ? 'r+' : 'wx+');
    if (!existed) fsyncDir(this.dir);
  }

  #roll(): void {
    // The finished segment was synced by the append that filled it.
    this.close();
    this.#seq += 1;
    this.#size = 0;
    this.#openCurrent();
  }
}

/** The buffers of `chunks` after skipping the first `skip` bytes (a short write resumes there). */
function sliceFrom(chunks: readonly Buffer[], skip: number): Buffer[] {
  if (skip === 0) return chunks as Buffer[];
  const out: Buffer[] = [];
  let left = skip;
  for (const c of chunks) {
    if (left >= c.length) {
      left -= c.length;
      continue;
    }
    out.push(left > 0 ? c.subarray(left) : c);
    left = 0;
  }
  return out;
}
