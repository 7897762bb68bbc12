// The follower's forwards follow leadership: without a verdict they go to the
// next leader at once (or into this node's pipeline when it leads); refused by
// the transport they wait for the next leader, at most parkMs; the leader's own
// refusals reach the client unchanged.

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Forwarder } from '../../src/chain/submit/forwarder.js';
import type { OrderedEnvelope } from '../../src/chain/order/leaderPipeline.js';
import { ClusterUnavailableError, ForwardRejectedError } from '../../src/cluster/index.js';
import { ManualClock } from './manualClock.js';

interface Sent {
  readonly to: number;
  readonly bytes: Uint8Array;
  resolve(): void;
  reject(error: unknown): void;
}

function setUp(selfId = 1) {
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

  it('close() refuses every open forward', async () => {
    const { forwarder } = setUp();
    const answer = forwarder.forward(2, envelope(1));
    forwarder.close(new Error('channel closing'));
    await expect(answer).rejects.toThrow(/channel closing/);
  });
});
