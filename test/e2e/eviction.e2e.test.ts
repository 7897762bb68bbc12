// Eviction with real `orderer start` processes on loopback, with a
// 3 s eviction suspicion in the channel file:
// (a) a node removed by a config update while it is down, then restarted,
//     finds no leader, reads the latest config block from the others, stops
//     serving the channel and says why; the others keep ordering;
// (b) a node removed and added again (same certificate, so a new Raft id)
//     while it is down re-onboards by itself under its new id: it drops its
//     Raft state, keeps its blocks, catches up, orders and replicates. Its
//     channel suspects eviction only after 10 minutes: the node finds out by
//     the first check, one election timeout after its start without a leader.
// (c) the same node with its data directory wiped while it was down restarts
//     from block 0 alone, as its old id, and re-onboards the same way.
// All end with the check: the same blocks everywhere, a valid hash
// chain, every acknowledged envelope exactly once.

import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { extractChannelConfig, readBlockSignatures, Status } from '../../src/block/index.js';
import { blocksHolding, checkChannel, order, servedBlocks } from './channelSupport.js';
import { configBlockOf, updateChannel } from './configUpdateSupport.js';
import { participationOf, removeWhileDown, startEvictionCluster } from './evictionSupport.js';
import { broadcastOne, logLines, logRecords, waitHealthz, waitLogLine, type LogRecord } from './nodeSupport.js';
import { hashChainFault, headersOf } from './helpers.js';
import { dataDirOf } from './catchupSupport.js';

const disposers: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const dispose of disposers.reverse()) await dispose();
}, 120_000);

/**
 * The re-onboarded chain started under its new id (4) while its ledger ended
 * before the re-adding config block, heard its leader, and only then did its
 * ledger reach that block (Raft's snapshot and the block puller, or entries).
 */
function expectJoinedBeforeThePull(records: readonly LogRecord[], channelId: string, readding: number): void {
  const ours = records.filter((r) => r.fields.channel === channelId);
  const reonboarding = ours.findIndex((r) => /^re-onboarding channel/.test(r.msg));
  const started = ours.findIndex((r, i) => i > reonboarding && r.msg === 'chain started' && r.fields.node === 4);
  expect(reonboarding).toBeGreaterThanOrEqual(0);
  expect(started, 'the chain started again as consenter 4').toBeGreaterThan(reonboarding);
  expect(ours[started]!.fields.height, 'the ledger height when the chain started as 4').toBeLessThanOrEqual(readding);
  const leader = ours.findIndex((r, i) => i > started && r.fields.node === 4 && /^raft leader changed: 0 -> [1-9]/.test(r.msg));
  expect(leader, 'consenter 4 heard its leader').toBeGreaterThan(started);
  const reached = ours.findIndex((r, i) => i > reonboarding && /^caught up to block (\d+)/.test(r.msg) && Number(/(\d+)/.exec(r.msg)![1]) >= readding);
  if (reached >= 0) expect(reached, 'the ledger reached the re-adding block only after the leader was heard').toBeGreaterThan(leader);
}

/**
 * A cluster where a follower (the victim) was removed while down and added back (the keygen channel file lists it
 * again, with the same certificate; Fabric numbers it anew: 4): 60 envelopes ordered before, 60 after the re-adding.
 */
async function removedAndAddedBackWhileDown(channelId: string) {
  // A suspicion period far beyond the test: the node finds out by the check one election timeout after its start.
  const { setup, leader } = await startEvictionCluster(channelId, disposers, '10m');
  const victim = [1, 2, 3].find((id) => id !== leader)!;
  const rest = [1, 2, 3].filter((id) => id !== victim);
  const first = await order(setup, leader, channelId, 60);
  expect(first.length).toBe(60);
  await removeWhileDown(
    setup,
    channelId,
    victim,
    rest,
    first.map((e) => e.txId),
  );
  const readd = await updateChannel(setup, rest[0]!, setup.channelFile);
  expect(readd.code, readd.stderr).toBe(0);
  const readding = await configBlockOf(setup, rest[0]!, channelId, 2, 30_000);
  const second = await order(setup, rest[1]!, channelId, 60);
  expect(second.length).toBe(60);
  return { setup, victim, first, readding, second };
}

describe('eviction of a node removed while it was down', () => {
  it('(a) a removed node restarted stops serving the channel and says why; the others keep ordering', async () => {
    const channelId = 'evict-removed';
    const { setup, leader } = await startEvictionCluster(channelId, disposers);
    const victim = [1, 2, 3].find((id) => id !== leader)!;
    const rest = [1, 2, 3].filter((id) => id !== victim);
    const first = await order(setup, leader, channelId, 60);
    expect(first.length).toBe(60);
    const removalBlock = await removeWhileDown(
      setup,
      channelId,
      victim,
      rest,
      first.map((e) => e.txId),
    );
    const second = await order(setup, rest[1]!, channelId, 60);
    expect(second.length).toBe(60);

    setup.cluster.process(victim).start();
    await setup.cluster.waitListening(victim, 60_000);
    const line = await waitLogLine(setup, victim, /evicted: this node \(\d+\) is no longer a consenter/, 60_000);
    expect(line).toContain(`this node (${victim}) is no longer a consenter: config block ${removalBlock} `);
    expect(line).toContain(`lists consenters ${rest.join(', ')}`);
    expect(await participationOf(setup, victim, channelId)).toMatchObject({ name: channelId, status: 'inactive', consensusRelation: 'config-tracker' });
    const refused = await broadcastOne(setup, victim, channelId);
    expect(refused.status).toBe(Status.SERVICE_UNAVAILABLE);
    expect(refused.info).toContain(`is halted: this node (${victim}) is no longer a consenter: config block ${removalBlock} `);

    const third = await order(setup, rest[0]!, channelId, 60);
    expect(third.length).toBe(60);
    await checkChannel(setup, channelId, rest, [...first, ...second, ...third]);
    // The evicted node's ledger is a prefix of the others' chain, with every envelope acknowledged before it went down.
    const kept = await servedBlocks(setup, victim, channelId);
    const reference = await servedBlocks(setup, rest[0]!, channelId);
    expect(hashChainFault(kept)).toBeUndefined();
    expect(headersOf(kept)).toEqual(headersOf(reference.slice(0, kept.length)));
    expect(extractChannelConfig(reference[removalBlock]!).consenters).toHaveLength(2);
  }, 240_000);

  it('(b) a node removed and added back (same certificate) while down re-onboards by itself under its new Raft id, then orders and replicates', async () => {
    const channelId = 'evict-readded';
    const { setup, victim, first, readding, second } = await removedAndAddedBackWhileDown(channelId);
    expect(readBlockSignatures(readding).etcdraft?.consenterIds).toEqual([1, 2, 3].map((id) => (id === victim ? 4 : id)));

    setup.cluster.process(victim).start();
    await setup.cluster.waitListening(victim, 60_000);
    const line = await waitLogLine(setup, victim, /re-onboarding channel/, 60_000);
    expect(line).toContain(`as consenter 4 (config block ${readding.header.number})`);
    // Caught up by itself: every envelope acknowledged while it was away, in its own ledger.
    await blocksHolding(
      setup,
      victim,
      channelId,
      [...first, ...second].map((e) => e.txId),
      90_000,
    );
    expect(await participationOf(setup, victim, channelId)).toMatchObject({ status: 'active', consensusRelation: 'consenter' });
    expectJoinedBeforeThePull(logRecords(setup, victim), channelId, readding.header.number);
    // It orders again: envelopes broadcast to it are forwarded to the leader as consenter 4 and replicated everywhere.
    const third = await order(setup, victim, channelId, 60);
    expect(third.length).toBe(60);
    await checkChannel(setup, channelId, [1, 2, 3], [...first, ...second, ...third]);

    // Restarted, it runs the channel as consenter 4 again (the id its latest config block gives its certificate).
    await setup.cluster.process(victim).stop(10_000);
    setup.cluster.process(victim).start();
    await setup.cluster.waitListening(victim, 60_000);
    await waitHealthz(setup, victim, 30_000);
    const fourth = await order(setup, victim, channelId, 30);
    expect(fourth.length).toBe(30);
    await checkChannel(setup, channelId, [1, 2, 3], [...first, ...second, ...third, ...fourth]);
    expect(logLines(setup, victim, /re-onboarding channel/)).toHaveLength(1);
  }, 240_000);
  it('(c) a node removed and added back while down, its data wiped, re-onboards from block 0 under its new Raft id', async () => {
    const channelId = 'evict-readded-wiped';
    const { setup, victim, first, readding, second } = await removedAndAddedBackWhileDown(channelId);
    fs.rmSync(dataDirOf(setup, victim), { recursive: true, force: true });

    setup.cluster.process(victim).start();
    await setup.cluster.waitListening(victim, 60_000);
    const line = await waitLogLine(setup, victim, /re-onboarding channel/, 60_000);
    expect(line).toContain(`as consenter 4 (config block ${readding.header.number})`);
    expect(line).toContain('its 1 blocks kept');
    await blocksHolding(
      setup,
      victim,
      channelId,
      [...first, ...second].map((e) => e.txId),
      90_000,
    );
    expectJoinedBeforeThePull(logRecords(setup, victim), channelId, readding.header.number);
    const third = await order(setup, victim, channelId, 30);
    expect(third.length).toBe(30);
    await checkChannel(setup, channelId, [1, 2, 3], [...first, ...second, ...third]);
  }, 240_000);
});
