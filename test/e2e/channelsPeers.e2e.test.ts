// One cluster transport per node, one peer list per channel: a chain's
// updatePeers (after a config block) must not drop the peers of the node's
// other channels (ChannelPeerSets).

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ChannelPeerSets } from '../../src/node/channelTransport.js';
import type { ClusterPeer, ClusterTransport } from '../../src/cluster/index.js';

function fakeTransport(selfId: number): { transport: ClusterTransport; applied: ClusterPeer[][]; closed: () => boolean } {
  const applied: ClusterPeer[][] = [];
  let closed = false;
  const transport: ClusterTransport = {
    selfId,
    sendConsensus: () => undefined,
    forwardSubmit: async () => undefined,
    setHandler: () => undefined,
    isReachable: (peer) => peer === 2,
    onUnreachable: () => undefined,
    updatePeers: (peers) => void applied.push([...peers]),
    close: async () => void (closed = true),
  };
  return { transport, applied, closed: () => closed };
}

const peer = (id: number, cert = `cert${id}`): ClusterPeer => ({ id, address: `127.0.0.1:${7000 + id}`, tlsCertPem: cert });
const ids = (peers: readonly ClusterPeer[] | undefined) => (peers ?? []).map((p) => p.id).sort((a, b) => a - b);

describe('ChannelPeerSets', () => {
  it("applies the union of every channel's peers, without this node, when one channel updates its own", () => {
    const { transport, applied } = fakeTransport(1);
    const sets = new ChannelPeerSets(transport, pino({ level: 'silent' }));
    sets.set('a', [peer(1), peer(2), peer(3)]);
    sets.set('b', [peer(1), peer(4)]);
    expect(ids(applied.at(-1))).toEqual([2, 3, 4]);
    // Channel a's chain removes consenter 3 through its transport view: b's peer 4 stays.
    sets.viewFor('a').updatePeers([peer(1), peer(2)]);
    expect(ids(applied.at(-1))).toEqual([2, 4]);
    sets.delete('b');
    expect(ids(applied.at(-1))).toEqual([2]);
  });

  it('names a conflicting consenter before a channel starts, and lets the newest update win once running (a rotation)', () => {
    const { transport, applied } = fakeTransport(1);
    const sets = new ChannelPeerSets(transport, pino({ level: 'silent' }));
    sets.set('a', [peer(2)]);
    expect(sets.conflictWith('b', [peer(2, 'other-cert')])).toMatch(/consenter 2 .* channel "a"/);
    expect(sets.conflictWith('b', [peer(2)])).toBeUndefined();
    sets.set('b', [peer(2)]);
    sets.viewFor('b').updatePeers([peer(2, 'rotated')]);
    expect(applied.at(-1)).toEqual([peer(2, 'rotated')]);
  });

  it("passes everything else of a channel's view through to the node's transport, and its close does not close it", async () => {
    const { transport, closed } = fakeTransport(7);
    const view = new ChannelPeerSets(transport, pino({ level: 'silent' })).viewFor('a');
    expect(view.selfId).toBe(7);
    expect([view.isReachable(2), view.isReachable(3)]).toEqual([true, false]);
    await view.close();
    expect(closed()).toBe(false);
  });
});
