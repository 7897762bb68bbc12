// The membership rules on their own: which ConfChange is pending, the quorum
// check before a consenter change, who a removed leader hands over to, and a
// new leader resuming a ConfChange its predecessor never proposed.

import fc from 'fast-check';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { ChannelConfigState } from '../../src/chain/config/channelConfig.js';
import { ConfigControl } from '../../src/chain/config/configControl.js';
import { checkQuorumAfterChange, pendingConfChange, quorumOf, transfereeOf } from '../../src/chain/config/membership.js';
import { ChainMetrics } from '../../src/chain/metrics.js';
import { ConfChangeType } from '../../src/raft/index.js';
import assert from 'node:assert/strict';
import { buildConfig } from '../../src/block/configtx/index.js';
import { makeTestChannel } from '../block/configtx/helpers.js';
import { scriptedLeaderRaft } from './scriptedLeaderRaft.js';

describe('pendingConfChange', () => {
  it('adds the one config id Raft lacks, removes the one Raft has in excess, and is undefined when they agree', () => {
    expect(pendingConfChange([1, 2, 3, 4], [1, 2, 3])).toEqual({ type: ConfChangeType.AddNode, nodeId: 4 });
    expect(pendingConfChange([1, 3], [1, 2, 3])).toEqual({ type: ConfChangeType.RemoveNode, nodeId: 2 });
    expect(pendingConfChange([3, 1, 2], [1, 2, 3])).toBeUndefined();
    // A rotation in flight never shows here (same id); an add is proposed before a remove.
    expect(pendingConfChange([1, 2, 5], [1, 2, 3])).toEqual({ type: ConfChangeType.AddNode, nodeId: 5 });
  });

  it('applying the changes it names one by one always reaches the config (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 7 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 7 }),
        (config, start) => {
          let voters = [...start];
          for (let step = 0; step < 30; step++) {
            const cc = pendingConfChange(config, voters);
            if (cc === undefined) break;
            voters = cc.type === ConfChangeType.AddNode ? [...voters, cc.nodeId] : voters.filter((id) => id !== cc.nodeId);
          }
          expect([...voters].sort((a, b) => a - b)).toEqual([...config].sort((a, b) => a - b));
        },
      ),
    );
  });
});

describe('checkQuorumAfterChange', () => {
  const reachable = (ids: number[]) => (id: number) => ids.includes(id);

  it('accepts an addition to 3 healthy voters (3 of 4 reachable) and refuses it with one of them down', () => {
    expect(quorumOf(4)).toBe(3);
    expect(() => checkQuorumAfterChange([1, 2, 3, 4], 4, 1, reachable([2, 3]))).not.toThrow();
    expect(() => checkQuorumAfterChange([1, 2, 3, 4], 4, 1, reachable([2]))).toThrow(/only 2 are reachable \(1, 2\); unreachable or changing: 3, 4/);
  });

  it('counts the node being rotated as unreachable, and the leader itself as reachable', () => {
    expect(() => checkQuorumAfterChange([1, 2, 3], 2, 1, reachable([2, 3]))).not.toThrow();
    expect(() => checkQuorumAfterChange([1, 2, 3], 2, 1, reachable([2]))).toThrow(/quorum/);
  });

  it('a removal leaves a quorum of the remaining voters', () => {
    expect(() => checkQuorumAfterChange([1, 2], 3, 1, reachable([2]))).not.toThrow();
    expect(() => checkQuorumAfterChange([1, 2], 3, 1, reachable([]))).toThrow(/2 voters need 2/);
  });
});

describe('transfereeOf', () => {
  it('picks the other voter with the highest match index (lowest id on a tie), never the leader itself', () => {
    const progress = new Map([
      [1, { match: 50 }],
      [2, { match: 40 }],
      [3, { match: 45 }],
      [4, { match: 45 }],
    ]);
    expect(transfereeOf(progress, [1, 2, 3, 4], 1)).toBe(3);
    expect(transfereeOf(progress, [1], 1)).toBeUndefined();
  });
});

describe('ConfigControl on a new leader', () => {
  function control(consenterIds: number[], voters: number[], selfId = 1, leadTransferee = 0) {
    const channel = makeTestChannel();
    const consenters = consenterIds.map((id) => channel.consenter(id));
    const values = { ...channel.values, consenters, signatureAlgorithm: 'ecdsa-p256' as const };
    const state: ChannelConfigState = {
      blockNumber: 7,
      values,
      config: buildConfig(values),
      ids: { consenterIds, nextConsenterId: Math.max(...consenterIds) + 1 },
    };
    const { raft, proposed, transfers } = scriptedLeaderRaft({ selfId, voters: () => voters, leadTransferee, matchOf: (id) => (id === 3 ? 20 : 10) });
    const ctl = new ConfigControl(state, {
      channelId: 'ch1',
      selfId,
      engine: 'native',
      ordererIdentity: () => assert.fail('no config update in these tests'),
      log: pino({ level: 'silent' }),
      metrics: new ChainMetrics(new Registry(), 'ch1'),
      transport: { isReachable: () => true } as never,
      raft: () => raft,
      servingLeader: () => true,
      applyBatch: () => undefined,
      applySnapshotInterval: () => undefined,
      applyOrganizations: () => undefined,
      kick: () => undefined,
    });
    return { ctl, proposed, transfers };
  }

  it('proposes the AddNode a committed config asks for (once per term), as soon as it serves', () => {
    const { ctl, proposed } = control([1, 2, 3, 4], [1, 2, 3]);
    ctl.afterApply();
    ctl.afterApply();
    expect(proposed).toEqual([{ type: ConfChangeType.AddNode, nodeId: 4 }]);
  });

  it('proposes the removal of another node, and hands leadership over when it is itself removed', () => {
    const other = control([1, 3], [1, 2, 3]);
    other.ctl.afterApply();
    expect(other.proposed).toEqual([{ type: ConfChangeType.RemoveNode, nodeId: 2 }]);

    const self = control([2, 3], [1, 2, 3]);
    expect(self.ctl.removed).toBe(true);
    self.ctl.afterApply();
    expect(self.proposed).toEqual([]);
    expect(self.transfers).toEqual([3]); // node 3 has the highest match
  });

  it('does nothing while a transfer is in progress or when config and Raft agree', () => {
    const transferring = control([2, 3], [1, 2, 3], 1, 3);
    transferring.ctl.afterApply();
    expect(transferring.transfers).toEqual([]);
    const agreed = control([1, 2, 3], [1, 2, 3]);
    agreed.ctl.afterApply();
    expect(agreed.proposed).toEqual([]);
  });
});
