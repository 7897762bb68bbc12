// A wiped node and a consenter renumbered while it was away, with real
// `orderer start` processes and a 3 s eviction suspicion: consenter R is
// removed and added back (a new Raft id, 4) and re-onboards; then node W is
// wiped and restarted while R leads. W's channel file (block 0) knows R only
// as its old id, so W's transport refused R's streams as "consenter 4" and W
// never heard a leader. W must hear R lead, catch up to the others' height,
// and order through R.

import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { readBlockSignatures } from '../../src/block/index.js';
import { blocksHolding, checkChannel, order, waitLeaderOf, type Setup } from './channelSupport.js';
import { dataDirOf } from './catchupSupport.js';
import { configBlockOf, updateChannel } from './configUpdateSupport.js';
import { removeWhileDown, startEvictionCluster } from './evictionSupport.js';
import { logLines, waitHealthz, waitLogLine, waitUntil } from './nodeSupport.js';

const disposers: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const dispose of disposers.reverse()) await dispose();
}, 120_000);

/** Rounds of "the other running consenter leads: stop it (its SIGTERM hands leadership over) and start it again". */
const LEAD_ATTEMPTS = 8;

/**
 * Makes `wanted` the leader of a channel whose only other running consenter
 * is `other`: a leader's SIGTERM hands leadership to the most caught-up
 * reachable follower, here `wanted`; `other` restarts at once and follows
 * (or, when `wanted` stepped down meanwhile without a quorum, one of the two
 * wins the election: then again).
 */
async function makeLeader(setup: Setup, channelId: string, wanted: number, other: number): Promise<void> {
  for (let attempt = 0; attempt < LEAD_ATTEMPTS; attempt++) {
    const leader = await waitLeaderOf(setup, channelId, 30_000);
    if (leader === wanted) return;
    expect(await setup.cluster.process(other).stop(15_000)).toBe(0);
    setup.cluster.process(other).start();
    await setup.cluster.waitListening(other, 60_000);
  }
  throw new Error(`node ${wanted} did not lead ${channelId} after ${LEAD_ATTEMPTS} leadership handoffs of node ${other}`);
}

describe('a wiped node whose channel file predates a re-added consenter', () => {
  it('hears the re-added consenter (new Raft id) lead, catches up to the others and orders through it', async () => {
    const channelId = 'evict-wiped-peer';
    const { setup, leader } = await startEvictionCluster(channelId, disposers);
    const readded = [1, 2, 3].find((id) => id !== leader)!;
    const rest = [1, 2, 3].filter((id) => id !== readded);
    const first = await order(setup, leader, channelId, 60);
    expect(first.length).toBe(60);
    await removeWhileDown(
      setup,
      channelId,
      readded,
      rest,
      first.map((e) => e.txId),
    );
    const readd = await updateChannel(setup, rest[0]!, setup.channelFile);
    expect(readd.code, readd.stderr).toBe(0);
    const readding = await configBlockOf(setup, rest[0]!, channelId, 2, 30_000);
    expect(readBlockSignatures(readding).etcdraft?.consenterIds).toEqual([1, 2, 3].map((id) => (id === readded ? 4 : id)));
    setup.cluster.process(readded).start();
    await setup.cluster.waitListening(readded, 60_000);
    await waitLogLine(setup, readded, /re-onboarded as consenter 4/, 60_000);
    await blocksHolding(
      setup,
      readded,
      channelId,
      first.map((e) => e.txId),
      90_000,
    );

    // W is wiped; with W down the re-added node is made the leader, and blocks are ordered that W must fetch.
    const [other, wiped] = rest as [number, number];
    expect(await setup.cluster.process(wiped).stop(15_000)).toBe(0);
    fs.rmSync(dataDirOf(setup, wiped), { recursive: true, force: true });
    await makeLeader(setup, channelId, readded, other);
    const second = await order(setup, readded, channelId, 60);
    expect(second.length).toBe(60);

    const leaderChange = /raft leader changed: 0 -> \d+/;
    const linesBefore = logLines(setup, wiped, leaderChange).length;
    setup.cluster.process(wiped).start();
    await setup.cluster.waitListening(wiped, 60_000);
    // The first leader it hears is the re-added consenter, under its new id (without it, only a later election could help).
    await waitUntil(`node ${wiped} to hear a leader`, 60_000, () => logLines(setup, wiped, leaderChange).length > linesBefore);
    expect(logLines(setup, wiped, leaderChange)[linesBefore]).toContain('raft leader changed: 0 -> 4');
    // Caught up with everything ordered, healthy (a leader known), and it orders through the leader.
    await blocksHolding(
      setup,
      wiped,
      channelId,
      [...first, ...second].map((e) => e.txId),
      90_000,
    );
    await waitHealthz(setup, wiped, 30_000);
    // Its chain's own config (read from the pulled blocks) names consenter 4 now: the transport takes the peers from it again.
    await waitLogLine(setup, wiped, new RegExp(`reached config block ${readding.header.number}: its consenters come from its own config again`), 30_000);
    expect(await waitLeaderOf(setup, channelId, 30_000)).toBe(readded);
    const third = await order(setup, wiped, channelId, 30);
    expect(third.length).toBe(30);
    await checkChannel(setup, channelId, [1, 2, 3], [...first, ...second, ...third]);
  }, 300_000);
});
