// A chain takes from the cluster transport only the Raft messages addressed to
// the id it runs the channel as. The node may answer to another id of its own
// (another channel re-added it under a new id); a peer that knows this
// channel's node by that id (re-added here too while the chain still runs the
// old one) must not keep a leader known here: the chain would never suspect
// eviction and re-onboard under its new id.

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ClusterChannelHandler, ClusterTransport } from '../../src/cluster/index.js';
import { bindTransport } from '../../src/chain/transportBinding.js';
import { MessageType, type Message, type RawNode } from '../../src/raft/index.js';

function heartbeat(to: number): Message {
  return { type: MessageType.MsgHeartbeat, to, from: 1, term: 12, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0 };
}

describe('a chain bound to the cluster transport', () => {
  it('steps Raft messages to its own id and drops those to another id of this node, logging once per id', () => {
    let handler: ClusterChannelHandler | undefined;
    const transport = {
      setHandler: (_channel: string, h: ClusterChannelHandler) => void (handler = h),
      onUnreachable: () => undefined,
    } as unknown as ClusterTransport;
    const stepped: number[] = [];
    const lines: string[] = [];
    bindTransport(transport, {
      channelId: 'c',
      selfId: 2,
      log: pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }),
      isRunning: () => true,
      consenterIds: () => [1, 2, 3],
      raft: () => ({ step: (m: Message) => void stepped.push(m.to) }) as unknown as RawNode,
      kick: () => undefined,
      inbound: (m) => m,
      peerLost: () => undefined,
      peerRefused: () => undefined,
      forwarded: async () => undefined,
      forwardedAll: async () => [],
    });
    handler!.onConsensus(1, heartbeat(4));
    handler!.onConsensus(1, heartbeat(4));
    handler!.onConsensus(1, heartbeat(2));
    expect(stepped).toEqual([2]);
    expect(lines.filter((l) => l.includes('to consenter 4 are dropped: this node runs the channel as consenter 2'))).toHaveLength(1);
  });

  it("hands a consenter's refusal of this node to the chain while it runs, and ignores one from an orderer that is no consenter", () => {
    let refused: ((peer: number, channelId: string | undefined, reason: string) => void) | undefined;
    const transport = {
      setHandler: () => undefined,
      onUnreachable: () => undefined,
      onRefused: (listener: typeof refused) => void (refused = listener),
    } as unknown as ClusterTransport;
    const heard: string[] = [];
    let running = true;
    bindTransport(transport, {
      channelId: 'c',
      selfId: 2,
      log: pino({ level: 'silent' }),
      isRunning: () => running,
      consenterIds: () => [1, 2, 3],
      raft: () => ({}) as unknown as RawNode,
      kick: () => undefined,
      inbound: (m) => m,
      peerLost: () => undefined,
      peerRefused: (peer, reason) => void heard.push(`${peer}: ${reason}`),
      forwarded: async () => undefined,
      forwardedAll: async () => [],
    });
    refused!(1, 'c', 'not a configured consenter');
    refused!(7, 'c', 'no consenter of ours');
    running = false;
    refused!(3, 'c', 'after the chain stopped');
    expect(heard).toEqual(['1: not a configured consenter']);
  });
});
