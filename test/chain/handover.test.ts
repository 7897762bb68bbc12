// The handover queue of a former leader: envelopes it accepted but never
// proposed, forwarded to the next leader. Its bound counts the forwards in
// flight, so a forward that fails and comes back never pushes it past heldMax.

import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Handover } from '../../src/chain/submit/handover.js';
import type { OrderedEnvelope } from '../../src/chain/order/leaderPipeline.js';

const silent = pino({ level: 'silent' });

function envelopes(count: number, from = 0): OrderedEnvelope[] {
  return Array.from({ length: count }, (_, i) => ({ bytes: new Uint8Array([from + i]) }) as unknown as OrderedEnvelope);
}

function deferred(): { promise: Promise<void>; reject: (e: Error) => void; resolve: () => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('Handover', () => {
  it('holds at most heldMax, dropping the oldest, and counts the drops', () => {
    const handover = new Handover(10, silent, async () => {});
    handover.hold(envelopes(8));
    handover.hold(envelopes(5, 100));
    expect(handover.size).toBe(10);
    expect(handover.dropped).toBe(3);
    expect(handover.takeAll().map((e) => e.bytes[0])).toEqual([3, 4, 5, 6, 7, 100, 101, 102, 103, 104]);
  });

  it('keeps held + in flight within heldMax when forwards fail and come back while new envelopes arrive', async () => {
    const heldMax = 100;
    const calls: Array<ReturnType<typeof deferred>> = [];
    const handover = new Handover(heldMax, silent, () => {
      const call = deferred();
      calls.push(call);
      return call.promise;
    });
    handover.hold(envelopes(64));
    handover.flush(2);
    await Promise.resolve();
    expect(calls.length).toBe(64);
    expect(handover.unsettled).toBe(64);
    // While 64 forwards are in flight, a full queue's worth arrives: only the room left is kept.
    handover.hold(envelopes(heldMax, 1000));
    expect(handover.unsettled).toBe(heldMax);
    expect(handover.dropped).toBe(64);
    for (const call of calls) call.reject(new Error('leader 2 is gone'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(handover.size).toBeLessThanOrEqual(heldMax);
    expect(handover.unsettled).toBe(heldMax);
  });

  it('forwards everything held to the leader and settles to zero', async () => {
    const seen: number[] = [];
    const handover = new Handover(1000, silent, async (leader, bytes) => {
      expect(leader).toBe(3);
      seen.push(bytes[0]!);
    });
    handover.hold(envelopes(150));
    handover.flush(3);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(handover.unsettled).toBe(0);
    expect(seen.length).toBe(150);
  });
});
