import { describe, expect, test } from 'vitest';
import { SendQueue, type QueuedFrame } from '../../src/cluster/sendQueue.js';
import { ReconnectBackoff } from '../../src/cluster/backoff.js';

function frame(bytes: number, consensus = true, tag = 0): QueuedFrame {
  return { bytes: Buffer.alloc(bytes, tag), channel: 'c', consensus, snapshot: false, cancelled: false };
}

describe('SendQueue', () => {
  test('consensus frames are refused, not queued, once the frame bound is reached', () => {
    const q = new SendQueue(3, 1000, 10);
    expect([1, 2, 3, 4, 5].map(() => q.tryPush(frame(10)))).toEqual([true, true, true, false, false]);
    expect(q.length).toBe(3);
    expect(q.bytes).toBe(30);
  });

  test('the byte bound refuses a frame that would overflow it', () => {
    const q = new SendQueue(100, 25, 10);
    expect(q.tryPush(frame(20))).toBe(true);
    expect(q.tryPush(frame(6))).toBe(false);
    expect(q.tryPush(frame(5))).toBe(true);
    expect(q.bytes).toBe(25);
  });

  test('a submit waits for room and is admitted in FIFO order as frames are written', () => {
    const q = new SendQueue(1, 1000, 10);
    expect(q.pushOrWait(frame(1, false, 1))).toBe('queued');
    expect(q.pushOrWait(frame(1, false, 2))).toBe('waiting');
    expect(q.pushOrWait(frame(1, false, 3))).toBe('waiting');
    // A consensus frame does not overtake waiting submits.
    expect(q.tryPush(frame(1, true, 9))).toBe(false);
    expect([q.shift()?.bytes[0], q.shift()?.bytes[0], q.shift()?.bytes[0], q.shift()]).toEqual([1, 2, 3, undefined]);
  });

  test('waiters beyond their bound are refused at once', () => {
    const q = new SendQueue(1, 1000, 1);
    q.pushOrWait(frame(1, false));
    expect(q.pushOrWait(frame(1, false))).toBe('waiting');
    expect(q.pushOrWait(frame(1, false))).toBe('full');
    expect(q.waiting).toBe(1);
  });

  test('a cancelled frame is never written and frees its room; a cancelled waiter leaves the line', () => {
    const q = new SendQueue(2, 1000, 5);
    const a = frame(10, false, 1);
    const b = frame(10, false, 2);
    const c = frame(10, false, 3);
    const d = frame(10, false, 4);
    q.pushOrWait(a);
    q.pushOrWait(b);
    q.pushOrWait(c);
    q.pushOrWait(d);
    q.cancel(c); // waiting
    q.cancel(a); // queued: releases its bytes; d is admitted (the slot of a is freed when shifted)
    expect(q.waiting).toBe(1);
    expect([q.shift()?.bytes[0], q.shift()?.bytes[0], q.shift()]).toEqual([2, 4, undefined]);
    expect(q.bytes).toBe(0);
  });

  test('shift(bytesMax) leaves a larger next frame first in line (for batching)', () => {
    const q = new SendQueue(10, 1000, 0);
    q.tryPush(frame(10, true, 1));
    q.tryPush(frame(30, true, 2));
    expect(q.shift(20)?.bytes[0]).toBe(1);
    expect(q.shift(20)).toBeUndefined();
    expect(q.length).toBe(1);
    expect(q.shift(30)?.bytes[0]).toBe(2);
  });

  test('clear drops queued and waiting frames and reports them', () => {
    const q = new SendQueue(1, 1000, 5);
    q.pushOrWait(frame(3, true));
    q.pushOrWait(frame(3, false));
    const dropped = q.clear();
    expect(dropped.map((f) => f.consensus)).toEqual([true, false]);
    expect(dropped.every((f) => f.cancelled)).toBe(true);
    expect([q.length, q.bytes, q.waiting, q.shift()]).toEqual([0, 0, 0, undefined]);
  });
});

describe('ReconnectBackoff', () => {
  test('doubles from min to max, jitter within [base/2, base]', () => {
    const low = new ReconnectBackoff(100, 5000, () => 0);
    expect(Array.from({ length: 8 }, () => low.nextDelayMs())).toEqual([50, 100, 200, 400, 800, 1600, 2500, 2500]);
    const high = new ReconnectBackoff(100, 5000, () => 0.999999);
    expect(Array.from({ length: 8 }, () => high.nextDelayMs())).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  });

  test('reset starts again from min; many failures never exceed max', () => {
    const b = new ReconnectBackoff(100, 5000, () => 0.5);
    for (let i = 0; i < 100; i++) expect(b.nextDelayMs()).toBeLessThanOrEqual(5000);
    expect(b.failures).toBe(100);
    b.reset();
    expect(b.nextDelayMs()).toBe(75);
  });
});
