// A new leader resumes a pending membership change: the leader
// commits the config block adding consenter 4, proposes the Raft ConfChange,
// but that entry never leaves it (its messages carrying a ConfChange are
// dropped), and then it stops. The ConfChange exists nowhere else, so only
// the next leader can close the gap between the committed config (1..4) and
// the Raft voters (1..3): it must propose AddNode(4) itself. Node 4 then joins
// as a voter, everyone (the old leader too, once restarted) ends with four
// voters and the same blocks, and every acknowledged envelope is there once.
// The same holds for a removal (the next leader proposes RemoveNode).

import { afterEach, describe, expect, it } from 'vitest';
import { EntryType, type Message } from '../../src/raft/index.js';
import { ConfigCluster, CHANNEL } from './configCluster.js';
import { clusterSize, expectSameLedgers, submitSome } from './configClusterSupport.js';

let c: ConfigCluster | undefined;

afterEach(async () => {
  await c?.close();
  c = undefined;
});

/** Makes node `id` drop (not send) every Raft message carrying a ConfChange entry; counts them. */
function dropConfChangesFrom(cluster: ConfigCluster, id: number): { dropped: number } {
  const transport = cluster.nodes.get(id)!.transport;
  const send = transport.sendConsensus.bind(transport);
  const counter = { dropped: 0 };
  transport.sendConsensus = (channelId: string, to: number, message: Message) => {
    if (channelId === CHANNEL && message.entries.some((e) => e.type !== EntryType.Normal)) {
      counter.dropped++;
      return;
    }
    send(channelId, to, message);
  };
  return counter;
}

async function clusterSizes(cluster: ConfigCluster, ids: readonly number[]): Promise<number[]> {
  return Promise.all(ids.map((id) => clusterSize(cluster, id)));
}

/** Ticks until every node of `ids` applied `size` voters (at most 60 ticks). */
async function tickUntilSizes(cluster: ConfigCluster, ids: readonly number[], size: number): Promise<void> {
  for (let ticks = 0; ticks <= 60; ticks++) {
    if ((await clusterSizes(cluster, ids)).every((n) => n === size)) return;
    await cluster.tick();
  }
  throw new Error(`nodes ${ids.join(',')} did not all apply ${size} voters within 60 ticks: ${(await clusterSizes(cluster, ids)).join(',')}`);
}

describe('chain: a new leader resumes a pending ConfChange', () => {
  it('the leader committed the config block adding node 4 but its ConfChange never left it; after it stops, the next leader proposes it and node 4 ends a voter', async () => {
    c = new ConfigCluster(3);
    await c.start([1, 2, 3]);
    const old = await c.waitForLeader();
    const rest = [1, 2, 3].filter((id) => id !== old);
    const acked = await submitSome(c, [1, 2, 3], 6);

    const fromOld = dropConfChangesFrom(c, old);
    const sequence = c.currentConfig(old).values.sequence + 1;
    expect(await c.chain(old).submit(c.configUpdate(old, (v) => ({ ...v, consenters: [...v.consenters, c!.channel.consenter(4)] })))).toEqual({
      status: 'SUCCESS',
      info: '',
    });
    await c.tickUntil(
      () => fromOld.dropped > 0 && [old, ...rest].every((id) => c!.currentConfig(id).values.sequence === sequence),
      80,
      'the config block adding node 4 committed everywhere and the old leader proposed the ConfChange',
    );
    // Pending: the config lists four consenters, the Raft voters are still three, on every node.
    for (const id of [old, ...rest]) expect(c.currentConfig(id).values.consenters).toHaveLength(4);
    await c.tick(5);
    expect(await clusterSizes(c, [old, ...rest])).toEqual([3, 3, 3]);

    // The old leader stops with the only copy of its ConfChange; one of the others takes over.
    await c.stop(old);
    await c.tickUntil(() => rest.includes(c!.leaderId()), 120, 'a new leader among the remaining');
    await c.startNode(4, [1, 2, 3, 4]);
    await c.tickUntil(() => c!.running().every((n) => n.chain.height() === c!.chain(rest[0]!).height()), 120, 'node 4 caught up');
    await tickUntilSizes(c, [...rest, 4], 4);
    // Node 4 serves once its config is the pulled config block adding it (read at its next Ready: a heartbeat at most).
    await c.tickUntil(() => c!.chain(4).status().clusterSize === 4, 20, 'node 4 reads the config that lists it');

    // The three running nodes (2 of them old, with 4 voters) order together.
    acked.push(...(await submitSome(c, [...rest, 4], 8)));
    await expectSameLedgers(c, [...rest, 4], acked);

    // The old leader comes back: its unreplicated ConfChange is overwritten, it learns the four voters and the same blocks.
    await c.startNode(old, [1, 2, 3]);
    await c.tickUntil(() => c!.chain(old).status().leaderId !== 0 && c!.chain(old).status().leaderId !== old, 60, `node ${old} follows the new leader`);
    acked.push(...(await submitSome(c, [old, ...rest, 4], 8)));
    await expectSameLedgers(c, [1, 2, 3, 4], acked);
    await tickUntilSizes(c, [1, 2, 3, 4], 4);
  }, 60_000);

  it('the same for a removal: the config block removing a follower committed, the RemoveNode never left the old leader; the next leader removes it', async () => {
    c = new ConfigCluster(3);
    await c.start([1, 2, 3]);
    const old = await c.waitForLeader();
    const [removed, next] = [1, 2, 3].filter((id) => id !== old) as [number, number];
    const acked = await submitSome(c, [1, 2, 3], 6);

    const fromOld = dropConfChangesFrom(c, old);
    const sequence = c.currentConfig(old).values.sequence + 1;
    // Consenters are in id order here: ids 1..3 at positions 0..2.
    expect(await c.chain(old).submit(c.configUpdate(old, (v) => ({ ...v, consenters: v.consenters.filter((_, i) => i !== removed - 1) })))).toEqual({
      status: 'SUCCESS',
      info: '',
    });
    await c.tickUntil(
      () => fromOld.dropped > 0 && [1, 2, 3].every((id) => c!.currentConfig(id).values.sequence === sequence),
      80,
      'the config block removing a follower committed everywhere and the old leader proposed the ConfChange',
    );
    await c.tick(5);
    expect(await clusterSizes(c, [1, 2, 3])).toEqual([3, 3, 3]);

    // The removed node still votes (it ticks until the RemoveNode is applied: without ticks its election
    // lease never expired and it refused every vote, so no leader was ever elected here). Should it win,
    // a leader the config removes hands over first.
    await c.stop(old);
    await c.tickUntil(() => c!.leaderId() === next, 120, `node ${next} leads`);
    await tickUntilSizes(c, [next], 2);
    // Voters are now the old leader and `next`: ordering needs the old leader back.
    await c.startNode(old, [1, 2, 3]);
    await c.tickUntil(() => c!.chain(old).status().leaderId !== 0, 120, `node ${old} follows a leader`);
    acked.push(...(await submitSome(c, [old, next], 8)));
    await expectSameLedgers(c, [old, next], acked);
    await tickUntilSizes(c, [old, next], 2);
    const refused = await c.chain(removed).submit(c.envelope().bytes);
    expect(refused.status).toBe('SERVICE_UNAVAILABLE');
    expect(refused.info).toMatch(/was removed from channel "config-test"/);
  }, 60_000);
});
