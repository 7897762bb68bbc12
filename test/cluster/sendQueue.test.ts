import { describe, expect, test } from 'vitest';
import { SendQueue, type QueuedFrame } from '../../src/cluster/sendQueue.js';
import { laneOfMessage, type Lane } from '../../src/cluster/lanes.js';
import { MessageType } from '../../src/raft/types.js';
import { ReconnectBackoff } from '../../src/cluster/backoff.js';

function frame(bytes: number, consensus = true, tag = 0, lane: Lane = 'bulk', channel = 'c'): QueuedFrame {
  return { bytes: Buffer.alloc(bytes, tag), channel, lane, consensus, snapshot: false, cancelled: false };
}

/** The tag byte a frame was made with (these frames are single buffers). */
const tagOf = (f: QueuedFrame | undefined): number | undefined => (f === undefined ? undefined : (f.bytes as Buffer)[0]);

const control = (tag: number): QueuedFrame => frame(1, true, tag, 'control');
/** The tags of every frame `q` hands out, in order, until it is empty. */
function tags(q: SendQueue): number[] {
  const out: number[] = [];
  for (let f = q.shift(); f !== undefined; f = q.shift()) out.push(tagOf(f)!);
  return out;
}

describe('SendQueue', () => {
  test('consensus frames are refused, not queued, once the frame bound is reached', () => {
    const q = new SendQueue(3, 1000, 10);
    expect([1, 2, 3, 4, 5].map(() => q.tryPush(frame(10)))).toEqual([true, true, true, false, false]);
    expect(q.length).toBe(3);
    expect(q.bytes).toBe(30);
  });

  test('the byte bound refuses a frame that would overflow it', () => {
    // Control frames: in the bulk lane the refused frame would also reserve its room (tested below).
    const q = new SendQueue(100, 25, 10);
    expect(q.tryPush(frame(20, true, 0, 'control'))).toBe(true);
    expect(q.tryPush(frame(6, true, 0, 'control'))).toBe(false);
    expect(q.tryPush(frame(5, true, 0, 'control'))).toBe(true);
    expect(q.bytes).toBe(25);
  });

  test('a submit waits for room and is admitted in FIFO order as frames are written', () => {
    const q = new SendQueue(1, 1000, 10);
    expect(q.pushOrWait(frame(1, false, 1))).toBe('queued');
    expect(q.pushOrWait(frame(1, false, 2))).toBe('waiting');
    expect(q.pushOrWait(frame(1, false, 3))).toBe('waiting');
    // A consensus frame does not overtake waiting submits.
    expect(q.tryPush(frame(1, true, 9))).toBe(false);
    expect([tagOf(q.shift()), tagOf(q.shift()), tagOf(q.shift()), q.shift()]).toEqual([1, 2, 3, undefined]);
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
    expect([tagOf(q.shift()), tagOf(q.shift()), q.shift()]).toEqual([2, 4, undefined]);
    expect(q.bytes).toBe(0);
  });

  test('shift(bytesMax) leaves a larger next frame first in line (for batching)', () => {
    const q = new SendQueue(10, 1000, 0);
    q.tryPush(frame(10, true, 1));
    q.tryPush(frame(30, true, 2));
    expect(tagOf(q.shift(20))).toBe(1);
    expect(q.shift(20)).toBeUndefined();
    expect(q.length).toBe(1);
    expect(tagOf(q.shift(30))).toBe(2);
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

describe('SendQueue lanes', () => {
  test('a control frame queued after bulk frames is handed out first; bulk keeps its order', () => {
    const q = new SendQueue(100, 1000, 0);
    for (let tag = 1; tag <= 3; tag++) q.tryPush(frame(100, true, tag));
    q.tryPush(control(9));
    q.tryPush(frame(100, true, 4));
    q.tryPush(control(8));
    expect(tags(q)).toEqual([9, 8, 1, 2, 3, 4]);
  });

  test('a full bulk lane or waiting submits do not refuse control frames; a full control lane does not refuse bulk ones', () => {
    const q = new SendQueue(2, 1000, 5);
    expect([q.pushOrWait(frame(10, false, 1)), q.pushOrWait(frame(10, false, 2)), q.pushOrWait(frame(10, false, 3))]).toEqual(['queued', 'queued', 'waiting']);
    expect(q.tryPush(frame(1, true, 4))).toBe(false);
    expect([q.tryPush(control(5)), q.tryPush(control(6)), q.tryPush(control(7))]).toEqual([true, true, false]);
    expect(tags(q)).toEqual([5, 6, 1, 2, 3]);
  });

  test('the bulk lane takes channels in turn, each in its own order', () => {
    const q = new SendQueue(100, 1000, 0);
    const push = (channel: string, tag: number) => q.tryPush(frame(1, true, tag, 'bulk', channel));
    push('a', 1);
    push('a', 2);
    push('a', 3);
    push('b', 11);
    push('c', 21);
    push('c', 22);
    expect(tagOf(q.shift())).toBe(1);
    push('b', 12); // b is next in turn already: it keeps its place
    expect(tags(q)).toEqual([11, 21, 2, 12, 22, 3]);
  });

  test('shift(bytesMax) stops at a large next frame without skipping its turn', () => {
    const q = new SendQueue(100, 1000, 0);
    q.tryPush(frame(50, true, 1, 'bulk', 'a'));
    q.tryPush(frame(5, true, 2, 'bulk', 'b'));
    expect(q.shift(10)).toBeUndefined();
    expect(tags(q)).toEqual([1, 2]);
  });

  test('a large bulk frame refused for room gets in once the lane drains, though small frames keep coming', () => {
    const q = new SendQueue(1000, 100, 0);
    for (let i = 0; i < 10; i++) expect(q.tryPush(frame(10, true, 1))).toBe(true);
    expect(q.tryPush(frame(50, true, 2))).toBe(false);
    expect(q.reservedBytes).toBe(50);
    // Each round one small frame is written, a small one offered, and the large one retried (as Raft does).
    let rounds = 0;
    for (; rounds < 100 && !q.tryPush(frame(50, true, 2)); rounds++) {
      q.shift();
      q.tryPush(frame(10, true, 1));
    }
    expect(rounds).toBeLessThan(100);
    expect(q.reservedBytes).toBe(0);
    expect(tags(q)).toContain(2);
  });

  test('the reservation holds back only smaller bulk consensus frames, and only from the reserved room', () => {
    const q = new SendQueue(1000, 100, 0);
    q.tryPush(frame(60, true, 1));
    expect(q.tryPush(frame(50, true, 2))).toBe(false);
    expect(q.tryPush(frame(10, true, 3))).toBe(false); // 60 + 10 + 50 reserved > 100
    expect(q.tryPush(control(4))).toBe(true); // the control lane is not affected
    q.shift();
    q.shift();
    expect(q.tryPush(frame(10, true, 3))).toBe(true); // 10 + 50 reserved <= 100
    expect(q.tryPush(frame(50, true, 2))).toBe(true);
    expect(q.reservedBytes).toBe(0);
    expect(q.tryPush(frame(40, true, 5))).toBe(true);
    expect(q.bytes).toBe(100);
  });

  test('control: heartbeats, votes, responses, TimeoutNow, ReadIndex; bulk: appends, snapshots, proposals', () => {
    const control = [
      MessageType.MsgHeartbeat,
      MessageType.MsgHeartbeatResp,
      MessageType.MsgVote,
      MessageType.MsgVoteResp,
      MessageType.MsgPreVote,
      MessageType.MsgPreVoteResp,
      MessageType.MsgAppResp,
      MessageType.MsgTimeoutNow,
      MessageType.MsgReadIndex,
      MessageType.MsgReadIndexResp,
    ];
    expect(control.map(laneOfMessage)).toEqual(control.map(() => 'control'));
    expect([MessageType.MsgApp, MessageType.MsgSnap, MessageType.MsgProp].map(laneOfMessage)).toEqual(['bulk', 'bulk', 'bulk']);
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
