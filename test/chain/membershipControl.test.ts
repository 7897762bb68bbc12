// ConfigControl's side of the membership fixes the real-process tests found
// (in process, with a scripted Raft status and transport):
// - a consenter the committed config removed stays a transport peer until
//   the ConfChange removing it is applied (Raft still sends to the voter);
// - a leader the config removes hands leadership over only once it holds no
//   uncommitted envelope;
// - a node learns from blocks pulled by catch-up that it was removed, and a
//   removed id (below next_consenter_id) is told apart from one not added yet.

import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { ChannelConfigState } from '../../src/chain/config/channelConfig.js';
import { ConfigControl } from '../../src/chain/config/configControl.js';
import { ChainMetrics } from '../../src/chain/metrics.js';
import type { ClusterPeer } from '../../src/cluster/index.js';
import assert from 'node:assert/strict';
import { buildConfig } from '../../src/block/configtx/index.js';
import { makeTestChannel } from '../block/configtx/helpers.js';
import { scriptedLeaderRaft } from './scriptedLeaderRaft.js';

const channel = makeTestChannel();

function stateOf(blockNumber: number, consenterIds: number[], nextConsenterId = Math.max(...consenterIds) + 1): ChannelConfigState {
  const values = { ...channel.values, consenters: consenterIds.map((id) => channel.consenter(id)), signatureAlgorithm: 'ecdsa-p256' as const };
  return { blockNumber, values, config: buildConfig(values), ids: { consenterIds, nextConsenterId } };
}

interface Scripted {
  voters: number[];
  uncommitted: boolean;
  ledger: ChannelConfigState | undefined;
}

function control(initial: ChannelConfigState, selfId: number, scripted: Scripted) {
  const peerUpdates: number[][] = [];
  const { raft, transfers } = scriptedLeaderRaft({ selfId, voters: () => scripted.voters, matchOf: (id) => 10 + id });
  const ctl = new ConfigControl(initial, {
    channelId: 'ch1',
    selfId,
    engine: 'native',
    ordererIdentity: () => assert.fail('no config update in these tests'),
    log: pino({ level: 'silent' }),
    metrics: new ChainMetrics(new Registry(), 'ch1'),
    transport: { isReachable: () => true, updatePeers: (peers: readonly ClusterPeer[]) => void peerUpdates.push(peers.map((p) => p.id).sort()) } as never,
    raft: () => raft,
    servingLeader: () => true,
    holdsUncommitted: () => scripted.uncommitted,
    applyBatch: () => undefined,
    applySnapshotInterval: () => undefined,
    applyOrganizations: () => undefined,
    kick: () => undefined,
    ledgerLastConfig: () => scripted.ledger?.blockNumber ?? initial.blockNumber,
    loadLedgerConfig: () => scripted.ledger,
  });
  return { ctl, peerUpdates, transfers };
}

describe('ConfigControl membership after the real-process tests', () => {
  it('keeps a removed consenter as a transport peer until the ConfChange removing it is applied', () => {
    const scripted: Scripted = { voters: [1, 2, 3], uncommitted: false, ledger: undefined };
    const { ctl, peerUpdates } = control(stateOf(5, [1, 2, 3]), 1, scripted);
    ctl.afterApply();
    // Config block 9 removes 3 (read here through the ledger path): Raft still counts 3 as a voter.
    scripted.ledger = stateOf(9, [1, 2], 4);
    ctl.afterCatchUp();
    expect(peerUpdates.at(-1)).toEqual([2, 3]);
    ctl.afterApply();
    expect(peerUpdates.at(-1)).toEqual([2, 3]);
    // The ConfChange is applied: 3 stops being a peer.
    scripted.voters = [1, 2];
    ctl.afterApply();
    expect(peerUpdates.at(-1)).toEqual([2]);
  });

  it('a removed leader orders what it holds before it hands leadership over', () => {
    const scripted: Scripted = { voters: [1, 2, 3], uncommitted: true, ledger: undefined };
    const { ctl, transfers } = control(stateOf(9, [2, 3], 4), 1, scripted);
    expect(ctl.removed).toBe(true);
    ctl.afterApply();
    expect(transfers).toEqual([]);
    scripted.uncommitted = false;
    ctl.afterApply();
    expect(transfers).toEqual([3]);
  });

  it('learns from pulled blocks that it was removed, and tells a removed id from one not added yet', () => {
    const scripted: Scripted = { voters: [1, 2, 3], uncommitted: false, ledger: undefined };
    const removedLater = control(stateOf(5, [1, 2, 3]), 3, scripted);
    expect(removedLater.ctl.removed).toBe(false);
    scripted.ledger = stateOf(12, [1, 2], 4);
    removedLater.ctl.afterCatchUp();
    expect(removedLater.ctl.notServingReason).toBe('this node was removed from channel "ch1" by config block 12');

    // Joining from block 0 before the block adding it (id 4 not given out yet): not served, not "removed".
    const joining = control(stateOf(0, [1, 2, 3], 4), 4, { voters: [1, 2, 3], uncommitted: false, ledger: undefined });
    expect(joining.ctl.notServingReason).toMatch(/is not a consenter of channel "ch1" as of its config block 0/);
    // A restart after the removal: id 4 was given out (next is 5) and is not listed.
    const restarted = control(stateOf(20, [1, 2, 3], 5), 4, { voters: [1, 2, 3], uncommitted: false, ledger: undefined });
    expect(restarted.ctl.notServingReason).toMatch(/was removed from channel "ch1" \(not a consenter as of its config block 20\)/);
  });
});
