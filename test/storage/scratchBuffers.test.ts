// Scratch buffers for an LMDB batch's large values: reused by a later batch
// only after the batch that held them released them, small values never
// pooled, the memory kept between batches bounded.

import { describe, expect, it } from 'vitest';
import { SCRATCH_MIN_BYTES, ScratchBuffers } from '../../src/storage/scratchBuffers.js';

describe('ScratchBuffers', () => {
  it('a released buffer serves the next lease; buffers held by a lease are never handed out twice', () => {
    const scratch = new ScratchBuffers();
    const first = scratch.lease();
    const a = first.alloc(SCRATCH_MIN_BYTES * 2);
    const b = first.alloc(SCRATCH_MIN_BYTES * 2);
    expect(a.length).toBe(SCRATCH_MIN_BYTES * 2);
    expect(a.buffer).not.toBe(b.buffer);
    const concurrent = scratch.lease();
    const c = concurrent.alloc(SCRATCH_MIN_BYTES);
    expect([a.buffer, b.buffer]).not.toContain(c.buffer);
    first.release();
    expect(scratch.keptCount).toBe(2);
    const next = scratch.lease();
    const d = next.alloc(SCRATCH_MIN_BYTES * 2);
    expect([a.buffer, b.buffer]).toContain(d.buffer);
    expect(scratch.keptCount).toBe(1);
  });

  it('small values are plain allocations, not kept', () => {
    const scratch = new ScratchBuffers();
    const lease = scratch.lease();
    expect(lease.alloc(100).length).toBe(100);
    lease.release();
    expect(scratch.keptCount).toBe(0);
  });

  it('a lease refuses to allocate once released', () => {
    const lease = new ScratchBuffers().lease();
    lease.release();
    expect(() => lease.alloc(SCRATCH_MIN_BYTES)).toThrow(/after release/);
  });

  it('keeps at most 8 buffers between batches, the largest ones', () => {
    const scratch = new ScratchBuffers();
    const lease = scratch.lease();
    const sizes = Array.from({ length: 12 }, (_, i) => SCRATCH_MIN_BYTES * (i + 1));
    for (const size of sizes) lease.alloc(size);
    lease.release();
    expect(scratch.keptCount).toBe(8);
    // The smallest kept is the 5th size (the 4 smallest were dropped): a request just above the 4th is served without a new buffer.
    const next = scratch.lease();
    const reused = next.alloc(SCRATCH_MIN_BYTES * 4 + 1);
    expect(reused.buffer.byteLength).toBeLessThanOrEqual(Math.ceil(SCRATCH_MIN_BYTES * 5 * 1.25));
    expect(scratch.keptCount).toBe(7);
  });
});
