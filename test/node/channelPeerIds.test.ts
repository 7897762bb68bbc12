// Each channel numbers its consenters itself: once a consenter has been removed
// from a channel and added back (a new Raft id there), one Raft id names
// different orderers on different channels and one orderer has different ids.
// Three real transports, one ChannelPeerSets each, two channels whose ids
// collide: every node reaches, and accepts, each peer under the id the
// channel gives it, and refuses an id the sender's certificate does not hold
// in that channel.

import { afterEach, describe, expect, test } from 'vitest';
import type { ClusterPeer, ClusterTransport, GrpcClusterTransport } from '../../src/cluster/index.js';
import { ChannelPeerSets } from '../../src/node/channelTransport.js';
import { RecordingHandler, TestPki, heartbeat, startTransport, testLogger, waitFor, type TlsMaterial } from '../cluster/fixtures.js';

const pki = new TestPki();
const started: GrpcClusterTransport[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.close()));
});

/** Raft ids per channel: "x" re-added C (4), "y" re-added A (4). Id 4 is C on x and A on y. */
const IDS = { x: { A: 1, B: 2, C: 4 }, y: { A: 4, B: 2, C: 3 } } as const;
type Name = 'A' | 'B' | 'C';
type Channel = keyof typeof IDS;
const NODE_IDS: Record<Name, number> = { A: 1, B: 2, C: 3 };

interface Orderer {
  readonly transport: GrpcClusterTransport;
  readonly tls: TlsMaterial;
  readonly handlers: Record<Channel, RecordingHandler>;
  views: Partial<Record<Channel, ClusterTransport>>;
}

async function threeOrderers(): Promise<Record<Name, Orderer>> {
  const nodes = {} as Record<Name, Orderer>;
  for (const name of ['A', 'B', 'C'] as const) {
    const tls = pki.issueTls(NODE_IDS[name]);
    const transport = await startTransport(pki, NODE_IDS[name], tls);
    started.push(transport);
    nodes[name] = { transport, tls, handlers: { x: new RecordingHandler(), y: new RecordingHandler() }, views: {} };
  }
  const consentersOf = (channel: Channel): ClusterPeer[] =>
    (['A', 'B', 'C'] as const).map((n) => ({ id: IDS[channel][n], address: `127.0.0.1:${nodes[n].transport.port}`, tlsCertPem: nodes[n].tls.certPem }));
  for (const name of ['A', 'B', 'C'] as const) {
    const node = nodes[name];
    const sets = new ChannelPeerSets(node.transport, testLogger());
    for (const channel of ['x', 'y'] as const) {
      const selfId = IDS[channel][name];
      // As the node does for a channel that runs it under another id than its own.
      if (selfId !== node.transport.selfId) node.transport.addLocalId(selfId);
      sets.set(channel, consentersOf(channel), selfId);
      const view = sets.viewFor(channel, selfId);
      view.setHandler(channel, node.handlers[channel]);
      node.views[channel] = view;
    }
  }
  return nodes;
}

const received = (handler: RecordingHandler) => handler.consensus.map((c) => [c.from, c.message.to, c.message.commit]);

describe('per-channel Raft ids on one transport per node', () => {
  test('one id naming two orderers on two channels: each channel reaches and accepts the one its config names', async () => {
    const { A, B, C } = await threeOrderers();
    // B to consenter 4: C on channel x, A on channel y.
    B.views.x!.sendConsensus('x', 4, heartbeat(2, 4, 1, 101));
    B.views.y!.sendConsensus('y', 4, heartbeat(2, 4, 1, 102));
    // Consenter 4 to B: C on channel x, A on channel y; and A as 1 on channel x.
    C.views.x!.sendConsensus('x', 2, heartbeat(4, 2, 1, 103));
    A.views.y!.sendConsensus('y', 2, heartbeat(4, 2, 1, 104));
    A.views.x!.sendConsensus('x', 2, heartbeat(1, 2, 1, 105));
    // C as 3 on channel y to A as 4.
    C.views.y!.sendConsensus('y', 4, heartbeat(3, 4, 1, 106));
    await waitFor(
      () =>
        C.handlers.x.consensus.length === 1 &&
        A.handlers.y.consensus.length === 2 &&
        B.handlers.x.consensus.length === 2 &&
        B.handlers.y.consensus.length === 1,
      'every message at the orderer its channel names',
    );
    expect(received(C.handlers.x)).toEqual([[2, 4, 101]]);
    expect(received(A.handlers.y).sort()).toEqual([
      [2, 4, 102],
      [3, 4, 106],
    ]);
    expect(received(B.handlers.x).sort()).toEqual([
      [1, 2, 105],
      [4, 2, 103],
    ]);
    expect(received(B.handlers.y)).toEqual([[4, 2, 104]]);
    expect(A.handlers.x.consensus).toEqual([]);
    expect(C.handlers.y.consensus).toEqual([]);
    expect(B.views.x!.isReachable(4)).toBe(true);
    expect(B.views.y!.isReachable(4)).toBe(true);
  });

  test('a forwarded submit reaches the leader under the id the channel gives the follower', async () => {
    const { A, B, C } = await threeOrderers();
    await C.views.x!.forwardSubmit('x', 2, new Uint8Array([1]));
    await A.views.y!.forwardSubmit('y', 2, new Uint8Array([2]));
    await A.views.x!.forwardSubmit('x', 2, new Uint8Array([3]));
    expect(B.handlers.x.submits.map((s) => [s.from, s.envelope[0]])).toEqual([
      [4, 1],
      [1, 3],
    ]);
    expect(B.handlers.y.submits.map((s) => [s.from, s.envelope[0]])).toEqual([[4, 2]]);
  });

  test("an id the sender's certificate holds on one channel only is refused on the other", async () => {
    const { A, B, C } = await threeOrderers();
    // C holds id 4 on channel x, not on y (there 4 is A): its message on y as 4 must not reach y's chain on B.
    C.transport.sendConsensus('y', 2, heartbeat(4, 2, 9, 201));
    // A holds id 4 on y, not on x (there 4 is C).
    A.transport.sendConsensus('x', 2, heartbeat(4, 2, 9, 202));
    await expect(C.transport.forwardSubmit('y', 2, new Uint8Array([7]), 4)).rejects.toThrow(/consenter 4 .*channel "y"/);
    // Traffic that is each sender's own goes through on the same streams, after the refused one.
    C.transport.sendConsensus('x', 2, heartbeat(4, 2, 9, 203));
    A.transport.sendConsensus('y', 2, heartbeat(4, 2, 9, 204));
    await waitFor(() => B.handlers.x.consensus.length === 1 && B.handlers.y.consensus.length === 1, 'the legitimate messages');
    expect(received(B.handlers.x)).toEqual([[4, 2, 203]]);
    expect(received(B.handlers.y)).toEqual([[4, 2, 204]]);
    expect(B.handlers.y.submits).toEqual([]);
  });
});

test("a peer's refusal of this node's stream reaches the view of the channel the link serves only", async () => {
  const names = ['a', 'b', 'c'] as const;
  const nodes = await Promise.all(
    names.map(async (_, i) => {
      const tls = pki.issueTls(i + 1);
      const transport = await startTransport(pki, i + 1, tls);
      started.push(transport);
      return { transport, peer: (id: number): ClusterPeer => ({ id, address: `127.0.0.1:${transport.port}`, tlsCertPem: tls.certPem }) };
    }),
  );
  const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];
  // b's channel x re-added a as 4 while a still runs x as 1; channel y is a and c.
  b.transport.setChannelPeers('x', 2, [a.peer(4)]);
  c.transport.setChannelPeers('y', 3, [a.peer(1)]);
  const sets = new ChannelPeerSets(a.transport, testLogger());
  const heard: string[] = [];
  sets.set('y', [a.peer(1), c.peer(3)], 1);
  sets.viewFor('y', 1).onRefused?.((peer) => heard.push(`y: ${peer}`));
  sets.viewFor('x', 1).onRefused?.((peer) => heard.push(`x: ${peer}`));
  sets.set('x', [a.peer(1), b.peer(2)], 1);
  await waitFor(() => heard.length > 0, 'the refusal heard');
  expect(new Set(heard)).toEqual(new Set(['x: 2']));
});
