// The nemesis' health judgement (scripts/nemesis/health.ts): every node
// answering, one leader followed by every node, heights within one block;
// and the options that fix whom faults hit and which acknowledgement mode
// the load uses; the Broadcast probe's client of a restarted node.

import { describe, expect, it } from 'vitest';
import type { NemesisCluster } from '../../scripts/nemesis/cluster.js';
import { BroadcastProbe, channelsLedBy, judgeHealth, leaderIn, type ProbeClient } from '../../scripts/nemesis/health.js';
import { NemesisOptionsError, parseNemesisArgs } from '../../scripts/nemesis/options.js';
import { faultSchedule } from '../../scripts/nemesis/schedule.js';
import type { NodeStatusView } from '../../src/client/index.js';

const ids = [1, 2, 3];
const channels = ['c0', 'c1'];

/** Node `id`'s status: every channel led by `leader` (per channel if an array), at `height`. */
function node(id: number, leader: number | number[], height: number | number[] = 10): NodeStatusView {
  return {
    nodeId: id,
    channels: channels.map((channel, i) => {
      const leaderId = Array.isArray(leader) ? leader[i]! : leader;
      return { channel, leaderId, isLeader: leaderId === id, height: Array.isArray(height) ? height[i]! : height, term: 2 };
    }),
  };
}

describe('judgeHealth', () => {
  it('is healthy when every node follows the same leader and heights are within one block', () => {
    const statuses = new Map([
      [1, node(1, 2, 10)],
      [2, node(2, 2, 11)],
      [3, node(3, 2, 10)],
    ]);
    expect(judgeHealth(ids, channels, statuses)).toEqual({ reached: 'heights', why: '' });
  });

  it('takes a leader re-added under a new Raft id, which is not its node id', () => {
    // Node 2 leads c0 as Raft id 5 after it was removed from c0 and added back.
    const readded = (id: number): NodeStatusView => ({
      nodeId: id,
      channels: channels.map((channel) => ({ channel, leaderId: 5, isLeader: id === 2, height: 10, term: 3 })),
    });
    const statuses = new Map(ids.map((id) => [id, readded(id)] as const));
    expect(judgeHealth(ids, channels, statuses)).toEqual({ reached: 'heights', why: '' });
  });

  it('stops at the first unmet condition and says which', () => {
    const down = new Map([
      [1, node(1, 2)],
      [2, node(2, 2)],
      [3, undefined],
    ]);
    expect(judgeHealth(ids, channels, down)).toEqual({ reached: undefined, why: 'node(s) 3 down or not answering' });
    // Node 3 restarted and has not heard the leader of c1 yet.
    const deaf = new Map([
      [1, node(1, [2, 1])],
      [2, node(2, [2, 1])],
      [3, node(3, [2, 0])],
    ]);
    expect(judgeHealth(ids, channels, deaf)).toEqual({ reached: 'answering', why: 'c1: no single leader followed by all (1->1 2->1 3->0)' });
    // Two nodes think they lead c0 (the old leader has not heard of the new term yet).
    const stale = new Map([
      [1, node(1, 1)],
      [2, node(2, 2)],
      [3, node(3, 2)],
    ]);
    expect(judgeHealth(ids, channels, stale).reached).toBe('answering');
    const behind = new Map([
      [1, node(1, 2, [10, 10])],
      [2, node(2, 2, [10, 10])],
      [3, node(3, 2, [10, 8])],
    ]);
    expect(judgeHealth(ids, channels, behind)).toEqual({ reached: 'leader', why: 'c1: heights 10,10,8' });
  });

  it('does not count a node that lacks a channel as answering for it', () => {
    const statuses = new Map([
      [1, node(1, 2)],
      [2, node(2, 2)],
      [3, { nodeId: 3, channels: [node(3, 2).channels[0]!] }],
    ]);
    expect(judgeHealth(ids, channels, statuses)).toEqual({ reached: undefined, why: 'c1: node(s) 3 do not serve it' });
  });
});

describe('nemesis --target and --ack', () => {
  it('--target leader makes every fault hit a leader and keeps the rest of the seeded schedule', () => {
    const any = parseNemesisArgs(['--seed', '5', '--faults', 'kill9,stop']);
    const leader = parseNemesisArgs(['--seed', '5', '--faults', 'kill9,stop', '--target', 'leader', '--ack', 'committed']);
    expect(leader.ack).toBe('committed');
    const take = (o: typeof any) => {
      const plans = [];
      for (const plan of faultSchedule(o)) {
        if (plan.index >= 40) break;
        plans.push(plan);
      }
      return plans;
    };
    const rolled = take(any);
    const fixed = take(leader);
    expect(rolled.some((p) => p.role === 'follower')).toBe(true);
    expect(fixed.every((p) => p.role === 'leader')).toBe(true);
    expect(fixed.map(({ role: _, ...rest }) => rest)).toEqual(rolled.map(({ role: _, ...rest }) => rest));
  });

  it('runs compiled orderers unless told to run the sources', () => {
    expect(parseNemesisArgs([]).orderers).toBe('compiled');
    expect(parseNemesisArgs(['--orderers', 'tsx']).orderers).toBe('tsx');
    expect(() => parseNemesisArgs(['--orderers', 'bun'])).toThrow(/--orderers must be one of compiled, tsx, got "bun"/);
  });

  it('refuses an unknown target or acknowledgement mode, naming the flag', () => {
    expect(() => parseNemesisArgs(['--target', 'everyone'])).toThrow(NemesisOptionsError);
    expect(() => parseNemesisArgs(['--target', 'everyone'])).toThrow(/--target must be one of any, leader, follower, got "everyone"/);
    expect(() => parseNemesisArgs(['--ack', 'durable'])).toThrow(/--ack must be one of both, committed, accepted, got "durable"/);
  });
});

describe('leaders at a fault', () => {
  it('names every channel the node leads, not only the one the fault targets', () => {
    // Node 2 leads c0 as itself and c1 as Raft id 4 (removed from c1 and added back).
    const statuses = new Map<number, NodeStatusView | undefined>([
      [1, node(1, [2, 4])],
      [2, { nodeId: 2, channels: channels.map((channel) => ({ channel, leaderId: channel === 'c0' ? 2 : 4, isLeader: true, height: 10, term: 2 })) }],
      [3, node(3, [2, 4])],
    ]);
    expect(channelsLedBy(statuses, 2)).toEqual(['c0', 'c1']);
    expect(leaderIn(statuses, 'c1')).toBe(2);
    expect(channelsLedBy(statuses, 1)).toEqual([]);
  });

  it('takes the node own account while the others do not name it yet', () => {
    const statuses = new Map<number, NodeStatusView | undefined>([
      [1, node(1, [0, 0])],
      [2, node(2, [2, 0])],
      [3, undefined],
    ]);
    expect(channelsLedBy(statuses, 2)).toEqual(['c0']);
    expect(channelsLedBy(statuses, 3)).toEqual([]);
  });
});

describe('BroadcastProbe.reconnect', () => {
  it("replaces a restarted node's client with one that starts connecting at once", () => {
    const made: { node: number; closed: boolean; readyAsked: boolean }[] = [];
    const connect = (node: number): ProbeClient => {
      const client = { node, closed: false, readyAsked: false };
      made.push(client);
      return {
        close: () => {
          client.closed = true;
        },
        waitForReady: () => {
          client.readyAsked = true;
        },
      } as unknown as ProbeClient;
    };
    const probe = new BroadcastProbe({} as NemesisCluster, {} as ConstructorParameters<typeof BroadcastProbe>[1], connect);
    probe.reconnect(2);
    probe.reconnect(2);
    expect(made).toEqual([
      { node: 2, closed: true, readyAsked: true },
      { node: 2, closed: false, readyAsked: true },
    ]);
    probe.close();
    expect(made[1]!.closed).toBe(true);
  });
});
