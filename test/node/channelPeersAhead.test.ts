// The cluster peers of a chain that starts with the consenters of a config
// block its ledger has not reached (a re-onboarded chain catching up): the
// older config blocks it applies on the way there only add to them, until its
// ledger holds that block; from then on its own config's consenters are all.

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ClusterPeer } from '../../src/cluster/index.js';
import { ChannelPeerSets, type NodeTransport } from '../../src/node/channelTransport.js';

const peer = (id: number): ClusterPeer => ({ id, address: `127.0.0.1:${7000 + id}`, tlsCertPem: `cert of ${id}` });

function recordingSets(): { sets: ChannelPeerSets; ids: () => number[] } {
  let last: readonly ClusterPeer[] = [];
  const transport: NodeTransport = {
    selfId: 3,
    sendConsensus: () => undefined,
    forwardSubmit: async () => undefined,
    setHandler: () => undefined,
    isReachable: () => true,
    onUnreachable: () => undefined,
    updatePeers: () => expect.fail('a node hands the transport per-channel lists only'),
    setChannelPeers: (_channel, localId, peers) => {
      expect(localId).toBe(4);
      last = peers ?? [];
    },
    close: async () => undefined,
  };
  return { sets: new ChannelPeerSets(transport, pino({ level: 'silent' })), ids: () => last.map((p) => p.id).sort() };
}

describe('the peers of a chain started ahead of its ledger', () => {
  it('are the config block’s consenters until the ledger holds it; older configs applied meanwhile only add to them', () => {
    const { sets, ids } = recordingSets();
    let height = 3;
    // Re-added as 4 by config block 7; consenter 5 (added by block 6) leads, 2 was removed by block 5.
    sets.setAhead('ch', [peer(1), peer(4), peer(5)], 4, 7, () => height > 7);
    expect(ids()).toEqual([1, 5]);
    // The chain applies block 5, whose consenters are 1, 3 (its old id) and not yet 5: the leader stays a peer.
    sets.set('ch', [peer(1), peer(3)], 4);
    expect(ids()).toEqual([1, 3, 5]);
    // Block 7 written: its own config names the peers from now on.
    height = 8;
    sets.set('ch', [peer(1), peer(4), peer(5)], 4);
    expect(ids()).toEqual([1, 5]);
  });
});
