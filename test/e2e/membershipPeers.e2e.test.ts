// A channel's transport view drops Raft messages to a consenter that is no
// longer a cluster peer (it just left the voters; the removing Ready or an
// answer to the removed node may still address it) instead of letting the
// transport's assertion halt the chain — found by the e2e shrink 5 -> 4.

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ChannelPeerSets, type NodeTransport } from '../../src/node/channelTransport.js';
import type { ClusterPeer } from '../../src/cluster/index.js';
import { MessageType, type Message } from '../../src/raft/index.js';

const peer = (id: number): ClusterPeer => ({ id, address: `127.0.0.1:${7000 + id}`, tlsCertPem: `cert${id}` });

function heartbeat(to: number): Message {
  return { type: MessageType.MsgHeartbeat, to, from: 1, term: 1, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0 };
}

describe('a channel transport view after a consenter left', () => {
  it('sends to peers, drops (and logs once) messages to an id that is no longer a peer, and sends again once it is re-added', () => {
    const sent: number[] = [];
    let known = new Set<number>();
    const transport: NodeTransport = {
      selfId: 1,
      // The real transport asserts the recipient is a configured peer.
      sendConsensus: (_channel, to) => {
        if (!known.has(to)) throw new Error(`sendConsensus to consenter ${to}, which is not a configured peer`);
        sent.push(to);
      },
      forwardSubmit: async () => undefined,
      setHandler: () => undefined,
      isReachable: () => true,
      onUnreachable: () => undefined,
      updatePeers: () => expect.fail('a node hands the transport per-channel lists only'),
      setChannelPeers: (_channel, _localId, peers) => void (known = new Set((peers ?? []).map((p) => p.id))),
      close: async () => undefined,
    };
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const sets = new ChannelPeerSets(transport, log);
    sets.set('c', [peer(1), peer(2), peer(3)]);
    const view = sets.viewFor('c');
    view.sendConsensus('c', 3, heartbeat(3));
    expect(sent).toEqual([3]);

    view.updatePeers([peer(1), peer(2)]);
    expect(() => view.sendConsensus('c', 3, heartbeat(3))).not.toThrow();
    view.sendConsensus('c', 3, heartbeat(3));
    view.sendConsensus('c', 2, heartbeat(2));
    expect(sent).toEqual([3, 2]);
    const dropLines = lines.filter((l) => l.includes('to consenter 3 are dropped'));
    expect(dropLines).toHaveLength(1);

    view.updatePeers([peer(1), peer(2), peer(3)]);
    view.sendConsensus('c', 3, heartbeat(3));
    expect(sent).toEqual([3, 2, 3]);
  });
});
