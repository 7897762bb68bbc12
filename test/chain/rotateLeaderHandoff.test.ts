// The pieces of a leader-certificate rotation on their own (scripted Raft
// status): which consenter a config rotates, the leader's handoff (refuses new
// envelopes, waits until nothing accepted is uncommitted, transfers to the most
// caught-up reachable voter, bounded), and the followers' hold of the old
// certificate until another leader is known (bounded).

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ChannelConfigState } from '../../src/chain/config/channelConfig.js';
import { rotatedConsenterOf } from '../../src/chain/config/membership.js';
import { RotationHandoff } from '../../src/chain/config/rotationHandoff.js';
import type { ClusterPeer } from '../../src/cluster/types.js';
import { StateType, type RawNode } from '../../src/raft/index.js';
import { buildConfig } from '../../src/block/configtx/index.js';
import { makeTestChannel } from '../block/configtx/helpers.js';

const channel = makeTestChannel();
const ELECTION_TICKS = 10;
const [c1, c2, c3] = [channel.consenter(1), channel.consenter(2), channel.consenter(3)];

function stateOf(consenters: ReturnType<typeof channel.consenter>[], consenterIds: number[]): ChannelConfigState {
  const values = { ...channel.values, consenters, signatureAlgorithm: 'ecdsa-p256' as const };
  return { blockNumber: 1, values, config: buildConfig(values), ids: { consenterIds, nextConsenterId: Math.max(...consenterIds) + 1 } };
}

interface Scripted {
  lead: number;
  leading: boolean;
  leadTransferee: number;
  uncommitted: boolean;
  unreachable: number[];
}

function handoff(selfId: number, scripted: Scripted) {
  const transfers: number[] = [];
  const raft = {
    status: () => ({
      id: selfId,
      applied: 20,
      leadTransferee: scripted.leadTransferee,
      hardState: { term: 3, vote: selfId, commit: 20 },
      softState: { lead: scripted.lead, raftState: scripted.leading ? StateType.Leader : StateType.Follower },
      config: { voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false },
      // Node 3 matches most, then node 2.
      progress: scripted.leading
        ? new Map([
            [1, { match: 20 }],
            [2, { match: 18 }],
            [3, { match: 19 }],
          ])
        : undefined,
    }),
    transferLeadership: (to: number) => void transfers.push(to),
  } as unknown as RawNode;
  const rotation = new RotationHandoff({
    channelId: 'ch1',
    selfId,
    log: pino({ level: 'silent' }),
    electionTicks: ELECTION_TICKS,
    raft: () => raft,
    isReachable: (id) => !scripted.unreachable.includes(id),
    holdsUncommitted: () => scripted.uncommitted,
    kick: () => undefined,
  });
  return { rotation, transfers };
}

const peer = (id: number, tlsCertPem: string): ClusterPeer => ({ id, address: `127.0.0.1:${7000 + id}`, tlsCertPem });

describe('rotatedConsenterOf', () => {
  it('names the consenter whose certificates change under the same id, and nothing for an addition, a removal or no change', () => {
    const before = stateOf([c1!, c2!, c3!], [1, 2, 3]);
    expect(rotatedConsenterOf(before, stateOf([c1!, channel.consenter(2), c3!], [1, 2, 3]))).toBe(2);
    expect(rotatedConsenterOf(before, stateOf([c1!, c2!, c3!], [1, 2, 3]))).toBeUndefined();
    expect(rotatedConsenterOf(before, stateOf([c1!, c2!, c3!, channel.consenter(4)], [1, 2, 3, 4]))).toBeUndefined();
    expect(rotatedConsenterOf(before, stateOf([c1!, c3!], [1, 3]))).toBeUndefined();
  });
});

describe('RotationHandoff: the rotated leader', () => {
  it('refuses new envelopes, transfers once nothing accepted is uncommitted, to the most caught-up reachable voter, once at a time; serves again once it follows', () => {
    const scripted: Scripted = { lead: 1, leading: true, leadTransferee: 0, uncommitted: true, unreachable: [3] };
    const { rotation, transfers } = handoff(1, scripted);
    expect(rotation.refusalReason).toBeUndefined();
    rotation.onRotation(1, undefined, 7);
    expect(rotation.refusalReason).toMatch(/node 1 is handing the leadership of channel "ch1" over .*config block 7/);
    rotation.step();
    expect(transfers).toEqual([]);
    scripted.uncommitted = false;
    rotation.step();
    // Node 3 matches most but is unreachable.
    expect(transfers).toEqual([2]);
    scripted.leadTransferee = 2;
    rotation.onTick(1);
    expect(transfers).toEqual([2]);
    scripted.leadTransferee = 0;
    scripted.leading = false;
    scripted.lead = 2;
    rotation.onTick(2);
    expect(rotation.refusalReason).toBeUndefined();
    expect(rotation.abdicating).toBe(false);
  });

  it('gives up after twice the election timeout when leadership does not move, and leads on', () => {
    const scripted: Scripted = { lead: 1, leading: true, leadTransferee: 0, uncommitted: true, unreachable: [] };
    const { rotation, transfers } = handoff(1, scripted);
    rotation.onRotation(1, undefined, 7);
    for (let tick = 1; tick < 2 * ELECTION_TICKS; tick++) rotation.onTick(1);
    expect(rotation.abdicating).toBe(true);
    rotation.onTick(1);
    expect(rotation.abdicating).toBe(false);
    expect(rotation.refusalReason).toBeUndefined();
    expect(transfers).toEqual([]);
  });

  it('does nothing for a rotation of a follower or when it no longer leads', () => {
    const { rotation } = handoff(1, { lead: 1, leading: true, leadTransferee: 0, uncommitted: false, unreachable: [] });
    rotation.onRotation(2, peer(2, 'old-2'), 7);
    expect(rotation.abdicating).toBe(false);
    expect(rotation.heldPeer(2)).toBeUndefined();
  });
});

describe('RotationHandoff: a follower of the rotated leader', () => {
  it('keeps the old certificate until another leader is known, then asks to pin the new one', () => {
    const scripted: Scripted = { lead: 1, leading: false, leadTransferee: 0, uncommitted: false, unreachable: [] };
    const { rotation } = handoff(2, scripted);
    const old = peer(1, 'old-1');
    rotation.onRotation(1, old, 7);
    expect(rotation.heldPeer(1)).toBe(old);
    expect(rotation.heldPeer(3)).toBeUndefined();
    expect(rotation.refusalReason).toBeUndefined();
    expect(rotation.onTick(1)).toBe(false);
    // An election under way (no leader) does not release it.
    expect(rotation.onTick(0)).toBe(false);
    expect(rotation.heldPeer(1)).toBe(old);
    expect(rotation.onTick(3)).toBe(true);
    expect(rotation.heldPeer(1)).toBeUndefined();
    expect(rotation.onTick(3)).toBe(false);
  });

  it('holds also when the rotation is applied during the election the transfer started (leader 0, last known leader the rotated one)', () => {
    const scripted: Scripted = { lead: 1, leading: false, leadTransferee: 0, uncommitted: false, unreachable: [] };
    const { rotation } = handoff(2, scripted);
    rotation.observeLeader(1);
    scripted.lead = 0;
    rotation.onRotation(1, peer(1, 'old-1'), 7);
    expect(rotation.heldPeer(1)?.tlsCertPem).toBe('old-1');
    expect(rotation.onTick(2)).toBe(true);
  });

  it('pins the new certificate after twice the election timeout when the leader never hands over', () => {
    const { rotation } = handoff(2, { lead: 1, leading: false, leadTransferee: 0, uncommitted: false, unreachable: [] });
    rotation.onRotation(1, peer(1, 'old-1'), 7);
    for (let tick = 1; tick < 2 * ELECTION_TICKS; tick++) expect(rotation.onTick(1)).toBe(false);
    expect(rotation.onTick(1)).toBe(true);
    expect(rotation.heldPeer(1)).toBeUndefined();
  });

  it('pins at once when the rotated node is not the leader it knows', () => {
    const { rotation } = handoff(2, { lead: 3, leading: false, leadTransferee: 0, uncommitted: false, unreachable: [] });
    rotation.onRotation(1, peer(1, 'old-1'), 7);
    expect(rotation.heldPeer(1)).toBeUndefined();
    expect(rotation.onTick(3)).toBe(false);
  });
});
