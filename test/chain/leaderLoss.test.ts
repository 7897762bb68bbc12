// Leader-loss detection on in-process chains: the memory network reports a
// crashed leader's streams closed, as the gRPC transport does when the kernel
// resets a dead process's sockets. The clock moves in steps shorter than one
// tick, so a leader found here was found by the early campaign: Raft's
// election timeout (10 ticks) never had a tick to run on.

import { afterEach, describe, expect, it } from 'vitest';
import type { ChainOptions } from '../../src/chain/index.js';
import { TestCluster, TICK_MS } from './harness.js';

let c: TestCluster | undefined;

afterEach(async () => {
  await c?.close();
  c = undefined;
});

const STEP_MS = 5;

async function started(options: Partial<ChainOptions> = {}): Promise<TestCluster> {
  c = new TestCluster({ size: 3, options });
  await c.start();
  await c.waitForLeader();
  return c;
}

/** Moves the clock in STEP_MS steps (never reaching the next tick) until `condition` holds; false if it never did. */
async function withinOneTick(cluster: TestCluster, condition: () => boolean): Promise<boolean> {
  for (let elapsed = 0; elapsed + STEP_MS < TICK_MS; elapsed += STEP_MS) {
    if (condition()) return true;
    cluster.clock.advance(STEP_MS);
    await cluster.settle();
  }
  return condition();
}

async function earlyCampaigns(cluster: TestCluster, id: number): Promise<number> {
  const metric = cluster.node(id).registry.getSingleMetric('consensus_etcdraft_early_campaigns');
  const values = metric === undefined ? [] : (await metric.get()).values;
  return values.reduce((sum, v) => sum + v.value, 0);
}

/** Stops the leader; its streams close for `seenFirstBy` (default: every survivor) at once. */
async function crashLeader(cluster: TestCluster, seenFirstBy?: (survivors: number[]) => number[]): Promise<{ old: number; survivors: number[]; term: number }> {
  await cluster.tick(3);
  const old = cluster.leaderId();
  const term = cluster.chain(old).status().raftTerm;
  await cluster.stop(old);
  const survivors = cluster.ids.filter((id) => id !== old);
  cluster.network.streamsClosed(old, seenFirstBy?.(survivors));
  return { old, survivors, term };
}

/** Every survivor follows the same new leader, which leads. */
function agreedOnNewLeader(cluster: TestCluster, old: number, survivors: readonly number[]): boolean {
  const leads = survivors.map((id) => cluster.chain(id).status().leaderId);
  return leads[0] !== 0 && leads[0] !== old && leads.every((l) => l === leads[0]) && cluster.leaderId() === leads[0];
}

describe('leader-loss detection', () => {
  it('a crashed leader is replaced by one early campaign, within one tick, in the next term', async () => {
    const cluster = await started();
    const { old, survivors, term } = await crashLeader(cluster);
    expect(await withinOneTick(cluster, () => agreedOnNewLeader(cluster, old, survivors))).toBe(true);
    const leader = cluster.leaderId();
    // One campaign, no split vote: the new leader's term is the very next one.
    expect(cluster.chain(leader).status().raftTerm).toBe(term + 1);
    const campaigns = await Promise.all(survivors.map((id) => earlyCampaigns(cluster, id)));
    expect(campaigns.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await earlyCampaigns(cluster, leader)).toBe(1);
    // It serves: an envelope sent to the other survivor is forwarded and committed.
    const follower = survivors.find((id) => id !== leader)!;
    const { bytes, txId } = cluster.envelope();
    expect((await cluster.chain(follower).submit(bytes)).status).toBe('SUCCESS');
    await cluster.tickUntil(() => survivors.every((id) => cluster.txIds(id).includes(txId)), 20, 'the envelope committed on both survivors');
  });

  it('the first survivor to campaign saw the close before the other: its PreVote is answered once the other sees it too', async () => {
    const cluster = await started();
    // The lowest survivor (the one that campaigns at once) sees the close; the other is 20 ms late and,
    // still inside its leader's lease then, ignores the PreVote.
    const { old, survivors, term } = await crashLeader(cluster, (ids) => [Math.min(...ids)]);
    const late = Math.max(...survivors);
    for (let ms = 0; ms < 20; ms += STEP_MS) {
      cluster.clock.advance(STEP_MS);
      await cluster.settle();
    }
    expect(await earlyCampaigns(cluster, Math.min(...survivors))).toBe(1);
    cluster.network.streamsClosed(old, [late]);
    expect(await withinOneTick(cluster, () => agreedOnNewLeader(cluster, old, survivors))).toBe(true);
    expect(cluster.leaderId()).toBe(Math.min(...survivors));
    expect(cluster.chain(cluster.leaderId()).status().raftTerm).toBe(term + 1);
    expect(await earlyCampaigns(cluster, late)).toBe(0);
  });

  it('switched off, a crashed leader is found by the election timeout only', async () => {
    const cluster = await started({ leaderLossDetection: false });
    const { old, survivors } = await crashLeader(cluster);
    expect(await withinOneTick(cluster, () => survivors.some((id) => cluster.chain(id).status().isLeader))).toBe(false);
    expect(survivors.every((id) => cluster.chain(id).status().leaderId === old)).toBe(true);
    expect(cluster.node(survivors[0]!).transport.probes).toBe(0);
    await cluster.waitForLeader(40);
    for (const id of survivors) expect(await earlyCampaigns(cluster, id)).toBe(0);
  });

  it('a follower whose stream to the leader was reset and comes back at once keeps its leader', async () => {
    const cluster = await started();
    await cluster.tick(3);
    const leader = cluster.leaderId();
    const follower = cluster.ids.find((id) => id !== leader)!;
    cluster.network.flap(follower, leader);
    await withinOneTick(cluster, () => false);
    expect(cluster.node(follower).transport.probes).toBe(1);
    expect(cluster.chain(follower).status().leaderId).toBe(leader);
    expect(await earlyCampaigns(cluster, follower)).toBe(0);
  });

  it('a follower whose own link to a healthy leader stays broken campaigns, is refused, and changes no leadership', async () => {
    const cluster = await started();
    await cluster.tick(3);
    const leader = cluster.leaderId();
    const term = cluster.chain(leader).status().raftTerm;
    const follower = cluster.ids.find((id) => id !== leader)!;
    const changesBefore = await leaderChanges(cluster, leader);
    cluster.network.flap(follower, leader, { redialRefused: true });
    await withinOneTick(cluster, () => false);
    // It did campaign (PreVote): the other follower still hears the leader and refuses; the leader ignores it.
    expect(await earlyCampaigns(cluster, follower)).toBe(1);
    await cluster.tick(5);
    expect(cluster.leaderId()).toBe(leader);
    expect(cluster.chain(leader).status().raftTerm).toBe(term);
    expect(await leaderChanges(cluster, leader)).toBe(changesBefore);
    // The leader's next heartbeat gave the follower its leader back.
    expect(cluster.chain(follower).status().leaderId).toBe(leader);
    cluster.network.heal();
  });
});

async function leaderChanges(cluster: TestCluster, id: number): Promise<number> {
  const metric = cluster.node(id).registry.getSingleMetric('consensus_etcdraft_leader_changes')!;
  return (await metric.get()).values[0]?.value ?? 0;
}
