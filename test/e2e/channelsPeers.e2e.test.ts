// One cluster transport per node, one peer list per channel: each chain's
// updatePeers (after a config block) replaces its own channel's list on the
// transport and no other (ChannelPeerSets), and each channel numbers its
// consenters itself, so two channels may give one id to different orderers.

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ChannelPeerSets, type NodeTransport } from '../../src/node/channelTransport.js';
import type { ClusterPeer } from '../../src/cluster/index.js';

function fakeTransport(selfId: number): { transport: NodeTransport; applied: Map<string, ClusterPeer[]>; closed: () => boolean } {
  const applied = new Map<string, ClusterPeer[]>();
  let closed = false;
  const transport: NodeTransport = {
    selfId,
    sendConsensus: () => undefined,
    forwardSubmit: async () => undefined,
    setHandler: () => undefined,
    isReachable: (peer) => peer === 2,
    onUnreachable: () => undefined,
    updatePeers: () => expect.fail('a node hands the transport per-channel lists only'),
    setChannelPeers: (channel, _localId, peers) => void (peers === undefined ? applied.delete(channel) : applied.set(channel, [...peers])),
    close: async () => void (closed = true),
  };
  return { transport, applied, closed: () => closed };
}

const peer = (id: number, cert = `cert${id}`): ClusterPeer => ({ id, address: `127.0.0.1:${7000 + id}`, tlsCertPem: cert });
const ids = (peers: readonly ClusterPeer[] | undefined) => (peers ?? []).map((p) => p.id).sort((a, b) => a - b);

describe('ChannelPeerSets', () => {
  it("applies each channel's own peers, without this node, when that channel updates them", () => {
    const { transport, applied } = fakeTransport(1);
    const sets = new ChannelPeerSets(transport, pino({ level: 'silent' }));
    sets.set('a', [peer(1), peer(2), peer(3)]);
    sets.set('b', [peer(1), peer(4)]);
    expect([ids(applied.get('a')), ids(applied.get('b'))]).toEqual([[2, 3], [4]]);
    // Channel a's chain removes consenter 3 through its transport view: b's list is untouched.
    sets.viewFor('a').updatePeers([peer(1), peer(2)]);
    expect([ids(applied.get('a')), ids(applied.get('b'))]).toEqual([[2], [4]]);
    sets.delete('b');
    expect([...applied.keys()]).toEqual(['a']);
  });

  it('lets two channels give one id to different orderers, and a rotation in one channel change that channel only', () => {
    const { transport, applied } = fakeTransport(1);
    const sets = new ChannelPeerSets(transport, pino({ level: 'silent' }));
    sets.set('a', [peer(2)]);
    sets.set('b', [peer(2, 'other-cert')]);
    expect(applied.get('a')).toEqual([peer(2)]);
    expect(applied.get('b')).toEqual([peer(2, 'other-cert')]);
    sets.viewFor('b').updatePeers([peer(2, 'rotated')]);
    expect(applied.get('a')).toEqual([peer(2)]);
    expect(applied.get('b')).toEqual([peer(2, 'rotated')]);
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
