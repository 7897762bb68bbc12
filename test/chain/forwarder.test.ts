// The follower's forwards follow leadership: without a verdict they go to the
// next leader at once (or into this node's pipeline when it leads); refused by
// the transport they wait for the next leader, at most parkMs; the leader's own
// refusals reach the client unchanged. A submit made while no leader is known
// is held for the next one, within time, count and byte bounds.

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Forwarder, NO_HOLD, type LeaderlessHold } from '../../src/chain/submit/forwarder.js';
import type { OrderedEnvelope } from '../../src/chain/order/leaderPipeline.js';
import { ClusterUnavailableError, ForwardRejectedError } from '../../src/cluster/index.js';
import { ManualClock } from './manualClock.js';

interface Sent {
  readonly to: number;
  readonly bytes: Uint8Array;
  resolve(): void;
  reject(error: unknown): void;
}

function setUp(selfId = 1, hold: LeaderlessHold = NO_HOLD) {
  const clock = new ManualClock();
  const sent: Sent[] = [];
  const orderedHere: OrderedEnvelope[] = [];
  let leader = 2;
  const forwarder = new Forwarder(
    {
      selfId,
      log: pino({ level: 'silent' }),
      clock,
      leaderId: () => leader,
      send: (to, bytes) => new Promise<void>((resolve, reject) => sent.push({ to, bytes, resolve, reject })),
      orderHere: async (envelope) => {
        orderedHere.push(envelope);
      },
    },
    2000,
    hold,
  );
  const setLeader = (id: number) => {
    leader = id;
    forwarder.onLeader(id);
  };
  return { clock, sent, orderedHere, forwarder, setLeader };
}

const envelope = (n: number): OrderedEnvelope => ({ bytes: new Uint8Array([n]), sizeBytes: 1 });
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('Forwarder', () => {
  it("a forward without a verdict goes to the new leader at once; the old leader's late verdict is ignored", async () => {
    const { sent, forwarder, setLeader } = setUp();
    let outcome = 'pending';
    void forwarder.forward(2, envelope(7)).then(
      () => (outcome = 'accepted'),
      (e: Error) => (outcome = e.message),
    );
    expect(sent.map((s) => s.to)).toEqual([2]);
    setLeader(3);
    expect(sent.map((s) => s.to)).toEqual([2, 3]);
    expect(sent[1]!.bytes).toEqual(new Uint8Array([7]));
    sent[0]!.reject(new ClusterUnavailableError(2, 'the frozen leader woke up too late'));
    await settle();
    expect(outcome).toBe('pending');
    sent[1]!.resolve();
    await settle();
    expect(outcome).toBe('accepted');
    expect(forwarder.open).toBe(0);
    expect(forwarder.rerouted).toBe(1);
  });

  it('leadership moving to this node orders the waiting forwards here', async () => {
    const { sent, orderedHere, forwarder, setLeader } = setUp(1);
    const answer = forwarder.forward(2, envelope(1));
    setLeader(1);
    await expect(answer).resolves.toBeUndefined();
    expect(orderedHere.map((e) => e.bytes[0])).toEqual([1]);
    expect(sent).toHaveLength(1);
  });

  it('refused by the transport (stream to the leader broke): waits for the next leader and goes there', async () => {
    const { sent, forwarder, setLeader } = setUp();
    const answer = forwarder.forward(2, envelope(1));
    sent[0]!.reject(new ClusterUnavailableError(2, 'the stream to consenter 2 broke'));
    await settle();
    expect(forwarder.open).toBe(1);
    setLeader(0);
    expect(sent).toHaveLength(1);
    setLeader(3);
    expect(sent.map((s) => s.to)).toEqual([2, 3]);
    sent[1]!.resolve();
    await expect(answer).resolves.toBeUndefined();
  });

  it('refused by the transport and no new leader within parkMs: the client hears the refusal', async () => {
    const { clock, sent, forwarder } = setUp();
    const answer = forwarder.forward(2, envelope(1));
    sent[0]!.reject(new ClusterUnavailableError(2, 'the stream to consenter 2 broke'));
    await settle();
    clock.advance(1999);
    expect(forwarder.open).toBe(1);
    clock.advance(1);
    await expect(answer).rejects.toThrow(/the stream to consenter 2 broke/);
    expect(forwarder.open).toBe(0);
  });

  it("the leader's own refusal while it still leads reaches the client at once", async () => {
    const { sent, forwarder } = setUp();
    const bad = forwarder.forward(2, envelope(1));
    const full = forwarder.forward(2, envelope(2));
    sent[0]!.reject(new ForwardRejectedError(2, 'BAD_REQUEST', 'envelope too large'));
    sent[1]!.reject(new ForwardRejectedError(2, 'SERVICE_UNAVAILABLE', "the leader's submit queue is full"));
    await expect(bad).rejects.toThrow(/too large/);
    await expect(full).rejects.toThrow(/submit queue is full/);
  });

  it('refused as "not the leader" by a node that lost leadership: sent to the leader known now', async () => {
    const { sent, forwarder, setLeader } = setUp();
    const answer = forwarder.forward(2, envelope(1));
    setLeader(0);
    // Leadership moved to 3 without this node seeing 2 lose it in between: onLeader(3) re-sends.
    setLeader(3);
    sent[0]!.reject(new ForwardRejectedError(2, 'SERVICE_UNAVAILABLE', 'node 2 is not the Raft leader'));
    sent[1]!.resolve();
    await expect(answer).resolves.toBeUndefined();
    expect(sent.map((s) => s.to)).toEqual([2, 3]);
  });

  it('a submit while no leader is known waits for the next leader and goes there', async () => {
    const { sent, forwarder, setLeader } = setUp(1, { ms: 1000, count: 10, bytes: 100 });
    setLeader(0);
    const answer = forwarder.holdForLeader(envelope(5));
    expect(sent).toHaveLength(0);
    expect(forwarder.waiting).toBe(1);
    setLeader(3);
    expect(sent.map((s) => s.to)).toEqual([3]);
    expect(forwarder.waiting).toBe(0);
    sent[0]!.resolve();
    await expect(answer).resolves.toBeUndefined();
  });

  it('a held submit is ordered here when this node becomes the leader', async () => {
    const { orderedHere, forwarder, setLeader } = setUp(1, { ms: 1000, count: 10, bytes: 100 });
    setLeader(0);
    const answer = forwarder.holdForLeader(envelope(6));
    setLeader(1);
    await expect(answer).resolves.toBeUndefined();
    expect(orderedHere.map((e) => e.bytes[0])).toEqual([6]);
  });

  it('no leader within the hold time: SERVICE_UNAVAILABLE', async () => {
    const { clock, forwarder, setLeader } = setUp(1, { ms: 1000, count: 10, bytes: 100 });
    setLeader(0);
    const answer = forwarder.holdForLeader(envelope(1));
    clock.advance(999);
    expect(forwarder.open).toBe(1);
    clock.advance(1);
    await expect(answer).rejects.toThrow('no Raft leader known within 1000 ms');
    expect(forwarder.open).toBe(0);
    expect(forwarder.waiting).toBe(0);
    expect(forwarder.refusedLeaderless).toBe(1);
  });

  it('the hold is bounded by envelopes and bytes waiting (a parked forward counts too); beyond, refused at once', async () => {
    const byCount = setUp(1, { ms: 1000, count: 2, bytes: 100 });
    const parked = byCount.forwarder.forward(2, envelope(1));
    byCount.sent[0]!.reject(new ClusterUnavailableError(2, 'the stream to consenter 2 broke'));
    await settle();
    byCount.setLeader(0);
    const held = byCount.forwarder.holdForLeader(envelope(2));
    await expect(byCount.forwarder.holdForLeader(envelope(3))).rejects.toThrow('no Raft leader (2 envelopes, 2 bytes already wait for one)');
    byCount.setLeader(3);
    expect(byCount.sent.map((s) => s.to)).toEqual([2, 3, 3]);
    for (const s of byCount.sent.slice(1)) s.resolve();
    await expect(parked).resolves.toBeUndefined();
    await expect(held).resolves.toBeUndefined();

    const byBytes = setUp(1, { ms: 1000, count: 10, bytes: 5 });
    byBytes.setLeader(0);
    const first = byBytes.forwarder.holdForLeader({ bytes: new Uint8Array(4), sizeBytes: 4 });
    await expect(byBytes.forwarder.holdForLeader({ bytes: new Uint8Array(2), sizeBytes: 2 })).rejects.toThrow(/already wait for one/);
    byBytes.forwarder.close(new Error('closing'));
    await expect(first).rejects.toThrow('closing');
  });

  it('without a hold, a submit while no leader is known is refused at once', async () => {
    const { forwarder, setLeader } = setUp();
    setLeader(0);
    await expect(forwarder.holdForLeader(envelope(1))).rejects.toThrow(/^no Raft leader$/);
  });

  it('close() refuses every open forward', async () => {
    const { forwarder } = setUp();
    const answer = forwarder.forward(2, envelope(1));
    forwarder.close(new Error('channel closing'));
    await expect(answer).rejects.toThrow(/channel closing/);
  });
});
