import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BlockCutter,
  DEFAULT_BATCH_SIZE,
  InvalidBatchSizeError,
  checkAbsoluteMaxBytes,
  messageSizeBytes,
  validateBatchSize,
  type BatchSize,
} from '../../src/block/blockCutter.js';
import { MessageTooLargeError } from '../../src/block/errors.js';

/** A test message: an id and a size in bytes. */
interface Msg {
  readonly id: number;
  readonly size: number;
}
const sizeOf = (m: Msg) => m.size;
const ids = (batches: readonly (readonly Msg[])[]) => batches.map((b) => b.map((m) => m.id));
const msg = (id: number, size: number): Msg => ({ id, size });

describe('BlockCutter: Fabric blockcutter scenarios', () => {
  const batchSize: BatchSize = { maxMessageCount: 3, absoluteMaxBytes: 100, preferredMaxBytes: 50 };

  it('keeps a small message pending (the caller starts the batch timer)', () => {
    const cutter = new BlockCutter(batchSize, sizeOf);
    expect(cutter.ordered(msg(1, 10))).toEqual({ batches: [], pending: true });
    expect(cutter.pendingCount).toBe(1);
    expect(cutter.pendingBytes).toBe(10);
  });

  it('cuts when MaxMessageCount is reached, and nothing stays pending', () => {
    const cutter = new BlockCutter(batchSize, sizeOf);
    cutter.ordered(msg(1, 1));
    cutter.ordered(msg(2, 1));
    const result = cutter.ordered(msg(3, 1));
    expect(ids(result.batches)).toEqual([[1, 2, 3]]);
    expect(result.pending).toBe(false);
    expect(cutter.pendingCount).toBe(0);
  });

  it('isolates a message larger than PreferredMaxBytes after cutting pending', () => {
    const cutter = new BlockCutter(batchSize, sizeOf);
    cutter.ordered(msg(1, 10));
    const result = cutter.ordered(msg(2, 51));
    expect(ids(result.batches)).toEqual([[1], [2]]);
    expect(result.pending).toBe(false);
  });

  it('isolates a large message with nothing pending into exactly one batch', () => {
    const cutter = new BlockCutter(batchSize, sizeOf);
    expect(ids(cutter.ordered(msg(1, 80)).batches)).toEqual([[1]]);
  });

  it('cuts pending first when the next message would overflow PreferredMaxBytes', () => {
    const cutter = new BlockCutter(batchSize, sizeOf);
    cutter.ordered(msg(1, 30));
    const result = cutter.ordered(msg(2, 21));
    expect(ids(result.batches)).toEqual([[1]]);
    expect(result.pending).toBe(true);
    expect(ids([cutter.cut()])).toEqual([[2]]);
  });

  it('does not cut when pending reaches exactly PreferredMaxBytes', () => {
    const cutter = new BlockCutter(batchSize, sizeOf);
    cutter.ordered(msg(1, 30));
    expect(cutter.ordered(msg(2, 20))).toEqual({ batches: [], pending: true });
    expect(cutter.pendingBytes).toBe(50);
  });

  it('overflow cut and count cut can both happen on one message', () => {
    const cutter = new BlockCutter({ maxMessageCount: 1, absoluteMaxBytes: 100, preferredMaxBytes: 50 }, sizeOf);
    expect(ids(cutter.ordered(msg(1, 10)).batches)).toEqual([[1]]);
    const two = new BlockCutter({ maxMessageCount: 2, absoluteMaxBytes: 100, preferredMaxBytes: 50 }, sizeOf);
    two.ordered(msg(1, 40));
    // 40 + 20 > 50 cuts [1]; then [2] is pending alone (count 1 < 2).
    expect(two.ordered(msg(2, 20))).toEqual({ batches: [[msg(1, 40)]], pending: true });
  });

  it('puts a config transaction alone, after cutting pending', () => {
    const cutter = new BlockCutter(batchSize, sizeOf);
    cutter.ordered(msg(1, 5));
    cutter.ordered(msg(2, 5));
    const result = cutter.orderedAlone(msg(3, 5));
    expect(ids(result.batches)).toEqual([[1, 2], [3]]);
    expect(result.pending).toBe(false);
    expect(ids(cutter.orderedAlone(msg(4, 1)).batches)).toEqual([[4]]);
  });

  it('cut() on timeout returns pending once, then an empty batch', () => {
    const cutter = new BlockCutter(batchSize, sizeOf);
    cutter.ordered(msg(1, 5));
    expect(ids([cutter.cut()])).toEqual([[1]]);
    expect(cutter.cut()).toEqual([]);
    expect(cutter.pendingBytes).toBe(0);
  });
});

describe('BlockCutter properties against random streams', () => {
  const streamArb = fc.record({
    maxMessageCount: fc.integer({ min: 1, max: 6 }),
    preferredMaxBytes: fc.integer({ min: 1, max: 60 }),
    ops: fc.array(
      fc.oneof(
        { weight: 8, arbitrary: fc.nat(80).map((size) => ({ kind: 'msg' as const, size })) },
        { weight: 1, arbitrary: fc.constant({ kind: 'config' as const, size: 3 }) },
        { weight: 1, arbitrary: fc.constant({ kind: 'timeout' as const, size: 0 }) },
      ),
      { maxLength: 60 },
    ),
  });

  it('preserves order, respects every bound, and cuts early only when the next message forces it', () => {
    fc.assert(
      fc.property(streamArb, ({ maxMessageCount, preferredMaxBytes, ops }) => {
        const cutter = new BlockCutter({ maxMessageCount, preferredMaxBytes, absoluteMaxBytes: 100 }, sizeOf);
        const out: Msg[][] = [];
        const alone = new Set<number>();
        ops.forEach((op, id) => {
          const m = msg(id, op.size);
          if (op.kind === 'timeout') {
            const batch = cutter.cut();
            if (batch.length > 0) out.push(batch);
            return;
          }
          const result = op.kind === 'config' ? cutter.orderedAlone(m) : cutter.ordered(m);
          if (op.kind === 'config' || op.size > preferredMaxBytes) alone.add(id);
          for (const b of result.batches) {
            expect(b.length).toBeGreaterThan(0);
            const cutBeforeFull = !b.includes(m) && b.length < maxMessageCount;
            // A pending batch cut short must have been forced by this message.
            if (cutBeforeFull) expect(alone.has(id) || b.reduce((s, x) => s + x.size, 0) + m.size > preferredMaxBytes).toBe(true);
            out.push([...b]);
          }
          expect(result.pending).toBe(cutter.pendingCount > 0);
          expect(cutter.pendingCount).toBeLessThan(maxMessageCount);
          expect(cutter.pendingBytes).toBeLessThanOrEqual(preferredMaxBytes);
        });
        const rest = cutter.cut();
        if (rest.length > 0) out.push(rest);

        const messageOps = ops.map((op, id) => ({ op, id })).filter(({ op }) => op.kind !== 'timeout');
        expect(out.flat().map((m) => m.id)).toEqual(messageOps.map(({ id }) => id));
        for (const batch of out) {
          expect(batch.length).toBeLessThanOrEqual(maxMessageCount);
          if (batch.some((m) => alone.has(m.id))) expect(batch.length).toBe(1);
          else expect(batch.reduce((s, m) => s + m.size, 0)).toBeLessThanOrEqual(preferredMaxBytes);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('batch size validation and the AbsoluteMaxBytes ingress check', () => {
  it('accepts Fabric defaults and rejects what Fabric rejects, naming the field', () => {
    expect(validateBatchSize(DEFAULT_BATCH_SIZE)).toEqual(DEFAULT_BATCH_SIZE);
    const bad: Array<[Partial<BatchSize>, RegExp]> = [
      [{ maxMessageCount: 0 }, /maxMessageCount/],
      [{ maxMessageCount: 1.5 }, /maxMessageCount/],
      [{ absoluteMaxBytes: 0 }, /absoluteMaxBytes/],
      [{ preferredMaxBytes: 0 }, /preferredMaxBytes/],
      [{ preferredMaxBytes: DEFAULT_BATCH_SIZE.absoluteMaxBytes + 1 }, /preferredMaxBytes/],
    ];
    for (const [patch, message] of bad) {
      const attempt = () => new BlockCutter({ ...DEFAULT_BATCH_SIZE, ...patch }, sizeOf);
      expect(attempt).toThrow(InvalidBatchSizeError);
      expect(attempt).toThrow(message);
    }
  });

  it('measures a message as len(payload) + len(signature) and rejects above AbsoluteMaxBytes only', () => {
    const env = { payload: new Uint8Array(90), signature: new Uint8Array(10) };
    expect(messageSizeBytes(env)).toBe(100);
    const limits = { maxMessageCount: 10, absoluteMaxBytes: 100, preferredMaxBytes: 50 };
    expect(() => checkAbsoluteMaxBytes(100, limits)).not.toThrow();
    expect(() => checkAbsoluteMaxBytes(101, limits)).toThrow(MessageTooLargeError);
    expect(() => checkAbsoluteMaxBytes(101, limits)).toThrow('message payload is 101 bytes and exceeds maximum allowed 100 bytes');
  });
});
