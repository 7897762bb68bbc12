// Per-channel consenter lists on one transport (setChannelPeers): a broken
// link is reported to the channel whose consenter it reaches only (another
// channel's consenter of the same id is another orderer), a list change
// ends an inbound stream only once no channel pins its key for its id, and a
// link speaking as one of this node's ids stays only while some channel runs
// this node as that id with that peer.

import { afterEach, describe, expect, test } from 'vitest';
import type { GrpcClusterTransport } from '../../src/cluster/index.js';
import { RecordingHandler, TestPki, heartbeat, metricValue, startTransport, waitFor, type TlsMaterial } from './fixtures.js';

const pki = new TestPki();
const started: GrpcClusterTransport[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.close()));
});

async function node(
  id: number,
): Promise<{ transport: GrpcClusterTransport; tls: TlsMaterial; peer: (as: number) => { id: number; address: string; tlsCertPem: string } }> {
  const tls = pki.issueTls(id);
  const transport = await startTransport(pki, id, tls);
  started.push(transport);
  return { transport, tls, peer: (as) => ({ id: as, address: `127.0.0.1:${transport.port}`, tlsCertPem: tls.certPem }) };
}

describe('per-channel consenter lists', () => {
  test('a broken link is reported to the channel whose consenter it reaches, not to one where that id is another orderer', async () => {
    const [a, b, c] = [await node(1), await node(2), await node(3)];
    // On b: consenter 4 is c on channel x and a on channel y.
    b.transport.setChannelPeers('x', 2, [b.peer(2), c.peer(4)]);
    b.transport.setChannelPeers('y', 2, [b.peer(2), a.peer(4)]);
    c.transport.addLocalId(4);
    c.transport.setChannelPeers('x', 4, [b.peer(2), c.peer(4)]);
    a.transport.addLocalId(4);
    a.transport.setChannelPeers('y', 4, [b.peer(2), a.peer(4)]);
    const reports: Array<[number, string | undefined]> = [];
    b.transport.onUnreachable((peer, channel) => reports.push([peer, channel]));
    await waitFor(() => b.transport.isReachable(4, 2, 'x') && b.transport.isReachable(4, 2, 'y'), 'both links to a consenter 4 up');
    expect(reports).toEqual([]);
    await c.transport.close();
    await waitFor(() => reports.length > 0, 'the broken link reported');
    expect(new Set(reports.map(([peer, channel]) => `${peer}/${channel}`))).toEqual(new Set(['4/x']));
  });

  test('an inbound stream stays while some channel pins its key for its id, and ends once none does', async () => {
    const [a, b] = [await node(1), await node(2)];
    const handler = new RecordingHandler();
    b.transport.setHandler('y', handler);
    b.transport.setChannelPeers('x', 2, [a.peer(1)]);
    b.transport.setChannelPeers('y', 2, [a.peer(1)]);
    a.transport.setChannelPeers('x', 1, [b.peer(2)]);
    a.transport.setChannelPeers('y', 1, [b.peer(2)]);
    a.transport.sendConsensus('y', 2, heartbeat(1, 2, 1, 1));
    await waitFor(() => handler.consensus.length === 1, 'the first message');
    // Channel x drops a: y still pins it, the stream stays and carries y.
    b.transport.setChannelPeers('x', 2, []);
    a.transport.sendConsensus('y', 2, heartbeat(1, 2, 1, 2));
    await waitFor(() => handler.consensus.length === 2, 'the second message on the same stream');
    expect(a.transport.isReachable(2, 1, 'y')).toBe(true);
    // Now no channel of b pins a's key for id 1: its stream is ended.
    b.transport.setChannelPeers('y', 2, []);
    await waitFor(() => !a.transport.isReachable(2, 1, 'y'), 'the stream ended');
    a.transport.sendConsensus('y', 2, heartbeat(1, 2, 1, 3));
    await waitFor(() => a.transport.peerStatus().some((p) => p.state === 'backing-off'), 'the redial refused');
    expect(handler.consensus.map((m) => m.message.commit)).toEqual([1, 2]);
  });
});

describe('a channel that re-numbers this node', () => {
  test("closes the link speaking as this node's own id once no channel runs it as that id towards that peer", async () => {
    const [a, b] = [await node(1), await node(2)];
    for (const channel of ['x', 'y']) {
      a.transport.setChannelPeers(channel, 1, [b.peer(2)]);
      b.transport.setChannelPeers(channel, 2, [a.peer(1)]);
    }
    await waitFor(() => a.transport.isReachable(2, 1, 'x'), 'the link from 1 to 2 up');
    // Channel x removes a and adds it back as 4; y still runs it as 1 towards b: the link as 1 stays.
    a.transport.addLocalId(4);
    a.transport.setChannelPeers('x', 4, [b.peer(2)]);
    b.transport.setChannelPeers('x', 2, [a.peer(4)]);
    expect(a.transport.isReachable(2, 1, 'y')).toBe(true);
    // Channel y does the same: no channel runs a as 1 any more, though 1 stays its node id.
    a.transport.setChannelPeers('y', 4, [b.peer(2)]);
    expect(a.transport.isLocalId(1)).toBe(true);
    expect(a.transport.peerStatus()).toEqual([]);
    b.transport.setChannelPeers('y', 2, [a.peer(4)]);
    await waitFor(() => a.transport.isReachable(2, 4, 'x') && a.transport.isReachable(2, 4, 'y'), 'the link from 4 to 2 up');
  });

  test('closes the link speaking as an id another channel still runs as, when that channel does not list the peer', async () => {
    const [a, b] = [await node(1), await node(2)];
    a.transport.addLocalId(4);
    a.transport.setChannelPeers('x', 4, [b.peer(2)]);
    // Channel y runs a as 4 too, with no other consenter: id 4 stays in use.
    a.transport.setChannelPeers('y', 4, []);
    b.transport.setChannelPeers('x', 2, [a.peer(4)]);
    await waitFor(() => a.transport.isReachable(2, 4, 'x'), 'the link from 4 to 2 up');
    // Channel x re-numbers a as 5.
    a.transport.addLocalId(5);
    a.transport.setChannelPeers('x', 5, [b.peer(2)]);
    expect(a.transport.isLocalId(4)).toBe(true);
    expect(a.transport.isReachable(2, 4, 'x')).toBe(false);
    b.transport.setChannelPeers('x', 2, [a.peer(5)]);
    await waitFor(() => a.transport.isReachable(2, 5, 'x'), 'the link from 5 to 2 up');
  });
});

describe("a peer's refusal", () => {
  test('of the Hello (no channel there pins this node under that id) is reported to the channels the link serves', async () => {
    const [a, b, c] = [await node(1), await node(2), await node(3)];
    const refusals: Array<[number, string | undefined, string]> = [];
    a.transport.onRefused((peer, channel, reason) => refusals.push([peer, channel, reason]));
    // b's channel x removed a (1) and added it back as 4; a still runs x as 1. Channel y reaches c only.
    b.transport.setChannelPeers('x', 2, [a.peer(4)]);
    c.transport.setChannelPeers('y', 3, [a.peer(1)]);
    a.transport.setChannelPeers('y', 1, [c.peer(3)]);
    a.transport.setChannelPeers('x', 1, [b.peer(2)]);
    await waitFor(() => refusals.length > 0, 'the refusal reported');
    expect(refusals[0]).toEqual([2, 'x', 'it claims to be consenter 1, which is not a configured consenter']);
    expect(new Set(refusals.map(([peer, channel]) => `${peer}/${channel}`))).toEqual(new Set(['2/x']));
  });

  test('of frames on a stream it took (another channel there pins this node under that id) is not reported: the sender is not told', async () => {
    const [a, b] = [await node(1), await node(2)];
    const refusals: number[] = [];
    a.transport.onRefused((peer) => refusals.push(peer));
    const onX = new RecordingHandler();
    b.transport.setHandler('x', onX);
    b.transport.setChannelPeers('x', 2, [a.peer(4)]);
    b.transport.setChannelPeers('y', 2, [a.peer(1)]);
    a.transport.setChannelPeers('x', 1, [b.peer(2)]);
    await waitFor(() => a.transport.isReachable(2, 1, 'x'), 'the stream from 1 taken for channel y');
    a.transport.sendConsensus('x', 2, heartbeat(1, 2, 1));
    // b counts the refused frame; a hears nothing of it.
    const deadline = Date.now() + 15_000;
    while ((await metricValue(b.transport, 'cluster_comm_frame_refused_count', { channel: 'x' })) === 0) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the frame refused');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(onX.consensus).toEqual([]);
    expect(refusals).toEqual([]);
    expect(a.transport.isReachable(2, 1, 'x')).toBe(true);
  });
});
