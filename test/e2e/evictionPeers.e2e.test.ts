// A channel that re-added this node under a new Raft id runs it under that id
// on the node's one transport: its view speaks as that id, and the node
// itself (listed by the channel under that id) is never one of its peers.

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ChannelPeerSets, type NodeTransport } from '../../src/node/channelTransport.js';
import type { ClusterPeer } from '../../src/cluster/index.js';

type Applied = ClusterPeer & { channel: string; localId: number };

function fakeTransport(selfId: number, localIds: readonly number[]): { transport: NodeTransport; applied: Applied[][]; calls: string[] } {
  const applied: Applied[][] = [];
  const calls: string[] = [];
  const transport: NodeTransport = {
    selfId,
    sendConsensus: () => undefined,
    forwardSubmit: async (c, to, _envelope, from) => void calls.push(`forward ${c} to ${to} as ${from ?? 'self'}`),
    setHandler: () => undefined,
    isReachable: (peer, from, channel) => (calls.push(`reachable ${channel} ${peer} as ${from ?? 'self'}`), true),
    onUnreachable: () => undefined,
    updatePeers: () => expect.fail('a node hands the transport per-channel lists only'),
    setChannelPeers: (channel, localId, peers) => {
      expect(localId === selfId || localIds.includes(localId)).toBe(true);
      applied.push((peers ?? []).map((p) => ({ ...p, channel, localId })));
    },
    close: async () => undefined,
  };
  return { transport, applied, calls };
}

const peer = (id: number, address = `127.0.0.1:${7000 + id}`): ClusterPeer => ({ id, address, tlsCertPem: `cert-of-${address}` });

describe('a channel run under another Raft id of this node', () => {
  it('its view speaks as that id, and this node under that id is not a peer', async () => {
    const { transport, applied, calls } = fakeTransport(3, [4]);
    const sets = new ChannelPeerSets(transport, pino({ level: 'silent' }));
    sets.set('other', [peer(1), peer(2), peer(3)]);
    // The re-adding config lists this node (its address) as consenter 4: the node runs the channel as 4.
    sets.set('readded', [peer(1), peer(2), peer(4, '127.0.0.1:7003')], 4);
    expect(applied.at(-1)!.map((p) => [p.channel, p.localId, p.id])).toEqual([
      ['readded', 4, 1],
      ['readded', 4, 2],
    ]);
    const view = sets.viewFor('readded', 4);
    expect(view.selfId).toBe(4);
    await view.forwardSubmit('readded', 1, new Uint8Array([1]));
    view.isReachable(2);
    const plain = sets.viewFor('other');
    expect(plain.selfId).toBe(3);
    await plain.forwardSubmit('other', 1, new Uint8Array([1]));
    expect(calls).toEqual(['forward readded to 1 as 4', 'reachable readded 2 as 4', 'forward other to 1 as 3']);
  });
});
