// Membership changes through config: one consenter at a time, the Raft
// ConfChange proposed by the leader after the config block commits.

import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelConfigInput } from '../../src/block/configtx/index.js';
import { decodeBlock, isConfigBlock, readBlockSignatures } from '../../src/block/index.js';
import { ConfigCluster } from './configCluster.js';
import { clusterSize, expectSameLedgers, submitSome } from './configClusterSupport.js';

let c: ConfigCluster | undefined;

afterEach(async () => {
  await c?.close();
  c = undefined;
});

/** Submits a config change to the leader and ticks until every node in `expectOn` has it. */
async function reconfigure(cluster: ConfigCluster, change: (v: ChannelConfigInput) => ChannelConfigInput, expectOn: readonly number[]): Promise<void> {
  const leader = await cluster.waitForLeader();
  const sequence = cluster.currentConfig(leader).values.sequence + 1;
  const r = await cluster.chain(leader).submit(cluster.configUpdate(leader, change));
  expect(r).toEqual({ status: 'SUCCESS', info: '' });
  await cluster.tickUntil(
    () => expectOn.every((id) => cluster.currentConfig(id).values.sequence === sequence),
    80,
    `config sequence ${sequence} on ${expectOn.join(',')}`,
  );
}

describe('chain: membership through config', () => {
  it('grows 3 -> 4 -> 5 and shrinks back to 3 with submits flowing; all ledgers identical, nothing acknowledged lost', async () => {
    c = new ConfigCluster(3);
    await c.start([1, 2, 3]);
    await c.waitForLeader();
    const acked = await submitSome(c, [1, 2, 3], 12);

    // Add node 4: config first, then the node starts from block 0 and catches up.
    await reconfigure(c, (v) => ({ ...v, consenters: [...v.consenters, c!.channel.consenter(4)] }), [1, 2, 3]);
    // The config block's etcdraft metadata already holds the ids after the change (Fabric): node 4 is next_consenter_id.
    const configBlock = decodeBlock(c.chain(1).block(c.chain(1).height() - 1));
    expect(isConfigBlock(configBlock)).toBe(true);
    expect(readBlockSignatures(configBlock).etcdraft).toMatchObject({ consenterIds: [1, 2, 3, 4], nextConsenterId: 5 });
    await c.startNode(4, [1, 2, 3, 4]);
    acked.push(...(await submitSome(c, [1, 2, 3], 12)));
    await expectSameLedgers(c, [1, 2, 3, 4], acked);
    expect(await clusterSize(c, 1)).toBe(4);
    // Node 4 joined through the post-add snapshot and pulled blocks: they count as committed there,
    // and the blocks it wrote afterwards name the pulled config block as LAST_CONFIG, like everyone's.
    const committedOn4 = await c.nodes.get(4)!.registry.getSingleMetricAsString('consensus_etcdraft_committed_block_number');
    expect(committedOn4).toMatch(new RegExp(`\\} ${c.chain(4).height() - 1}\\b`));
    const last4 = decodeBlock(c.chain(4).block(c.chain(4).height() - 1));
    const last1 = decodeBlock(c.chain(1).block(c.chain(4).height() - 1));
    expect(readBlockSignatures(last4).lastConfigIndex).toBe(readBlockSignatures(last1).lastConfigIndex);
    expect(
      c.nodes
        .get(1)!
        .peerUpdates.at(-1)!
        .map((p) => p.id)
        .sort(),
    ).toEqual([2, 3, 4]);

    // Submits racing the config update: they wait while the intake is paused for the config block, none is lost.
    const during = submitSome(c, [1, 2, 3, 4], 12);
    await reconfigure(c, (v) => ({ ...v, consenters: [...v.consenters, c!.channel.consenter(5)] }), [1, 2, 3, 4]);
    acked.push(...(await during));
    await c.startNode(5, [1, 2, 3, 4, 5]);
    acked.push(...(await submitSome(c, [1, 4], 12)));
    await expectSameLedgers(c, [1, 2, 3, 4, 5], acked);
    expect(await clusterSize(c, 5)).toBe(5);

    // Node 5 takes part in the quorum: with 1 and 2 cut off, 3, 4, 5 still order.
    c.network.isolate(1);
    c.network.isolate(2);
    await c.tickUntil(() => [3, 4, 5].includes(c!.leaderId()), 120, 'a leader among 3, 4, 5');
    acked.push(...(await submitSome(c, [3, 4, 5], 6)));
    c.network.heal();
    await expectSameLedgers(c, [1, 2, 3, 4, 5], acked);

    // Shrink back: remove 5, then 4 (each stops serving).
    for (const gone of [5, 4]) {
      const index = gone - 1; // consenters stay in id order here: ids 1..5 at positions 0..4
      const keep = [1, 2, 3, 4, 5].filter((id) => id < gone);
      await reconfigure(c, (v) => ({ ...v, consenters: v.consenters.filter((_, i) => i !== index) }), keep);
      acked.push(...(await submitSome(c, keep, 6)));
      await expectSameLedgers(c, keep, acked);
      const refused = await c.chain(gone).submit(c.envelope().bytes);
      expect(refused.status).toBe('SERVICE_UNAVAILABLE');
      expect(refused.info).toMatch(/was removed from channel "config-test"/);
    }
    expect(await clusterSize(c, 1)).toBe(3);
    // The remaining three form the quorum on their own.
    await c.stop(4);
    await c.stop(5);
    acked.push(...(await submitSome(c, [1, 2, 3], 6)));
    await expectSameLedgers(c, [1, 2, 3], acked);
  }, 120_000);

  it('removing the leader transfers leadership first; the new leader removes it and the channel keeps ordering', async () => {
    c = new ConfigCluster(3);
    await c.start([1, 2, 3]);
    const old = await c.waitForLeader();
    const acked = await submitSome(c, [1, 2, 3], 6);
    const rest = [1, 2, 3].filter((id) => id !== old);
    await reconfigure(c, (v) => ({ ...v, consenters: v.consenters.filter((_, i) => i !== old - 1) }), [1, 2, 3]);
    // Handed over, not elected after a timeout: a remaining node leads within one election timeout (10 ticks) of the config commit.
    const ticks = await c.tickUntil(() => rest.includes(c!.leaderId()), 120, 'a new leader among the remaining');
    expect(ticks).toBeLessThan(10);
    acked.push(...(await submitSome(c, rest, 6)));
    await expectSameLedgers(c, rest, acked);
    // The Raft membership of the remaining nodes is the two of them (the gauge follows the applied ConfState).
    for (const id of rest) expect(await clusterSize(c, id)).toBe(2);
    const refused = await c.chain(old).submit(c.envelope().bytes);
    expect(refused.status).toBe('SERVICE_UNAVAILABLE');
    expect(refused.info).toMatch(/was removed/);
    // The two remaining order on their own (the removed node no longer counts).
    await c.stop(old);
    acked.push(...(await submitSome(c, rest, 4)));
    await expectSameLedgers(c, rest, acked);
  }, 60_000);

  it('refuses a consenter change after which the reachable voters would not form a quorum, naming the unreachable nodes', async () => {
    c = new ConfigCluster(3);
    await c.start([1, 2, 3]);
    const leader = await c.waitForLeader();
    const down = [1, 2, 3].find((id) => id !== leader)!;
    c.network.isolate(down);
    await c.tick(2);
    const r = await c.chain(leader).submit(c.configUpdate(leader, (v) => ({ ...v, consenters: [...v.consenters, c!.channel.consenter(4)] })));
    expect(r.status).toBe('BAD_REQUEST');
    expect(r.info).toMatch(/quorum/);
    expect(r.info).toMatch(new RegExp(`unreachable or changing: .*\\b${down}\\b`));
    // Submitted to the connected follower: forwarded, and the leader's check refuses it the same way.
    const follower = [1, 2, 3].find((id) => id !== leader && id !== down)!;
    const viaFollower = await c.chain(follower).submit(c.configUpdate(leader, (v) => ({ ...v, consenters: [...v.consenters, c!.channel.consenter(4)] })));
    expect(viaFollower.status).toBe('BAD_REQUEST');
    expect(viaFollower.info).toMatch(/quorum/);
    expect(c.currentConfig(leader).values.consenters).toHaveLength(3);
  }, 60_000);

  it('rotates a consenter certificate: no Raft change, peers re-pinned, ordering goes on', async () => {
    c = new ConfigCluster(3);
    await c.start([1, 2, 3]);
    const leader = await c.waitForLeader();
    const rotated = [1, 2, 3].find((id) => id !== leader)!;
    const fresh = c.channel.consenter(rotated);
    await reconfigure(c, (v) => ({ ...v, consenters: v.consenters.map((x, i) => (i === rotated - 1 ? fresh : x)) }), [1, 2, 3]);
    const update = c.nodes.get(leader)!.peerUpdates.at(-1)!;
    expect(update.find((p) => p.id === rotated)!.tlsCertPem).toBe(fresh.clientTlsCertPem);
    const acked = await submitSome(c, [1, 2, 3], 9);
    await expectSameLedgers(c, [1, 2, 3], acked);
    expect(await clusterSize(c, leader)).toBe(3);
    expect(c.chain(rotated).status().height).toBe(c.chain(leader).height());
  }, 60_000);
});
