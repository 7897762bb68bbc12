// Raft ids are per channel (real `orderer start` processes on loopback). Two
// channels on three nodes; on channel a node P is removed and added back
// while down, on channel b node Q (so each is consenter 4 there: Fabric
// numbers a re-added consenter anew). Then id 4 is P on a and Q on b, P is 4
// on a and keeps its own id on b, where 4 is Q. Both re-onboard, and both
// channels order through every node: the same blocks everywhere, a valid hash
// chain, every acknowledged envelope exactly once.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { readBlockSignatures } from '../../src/block/index.js';
import { nodePaths } from '../../src/cli/dev/layout.js';
import { blocksHolding, checkChannel, order, setUp, waitLeaderOf, type Setup } from './channelSupport.js';
import { configBlockOf, setRaftOptions, updateChannel } from './configUpdateSupport.js';
import { removeWhileDown } from './evictionSupport.js';
import { waitHealthz, waitLogLine } from './nodeSupport.js';

const disposers: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const dispose of disposers.reverse()) await dispose();
}, 120_000);

/**
 * Three nodes serving two channels from their node config: `a`, the keygen
 * channel, and `b`, its channel file under another channel id (same
 * consenters; eviction suspicion 3 s on both, a node setting of configured
 * channels). Resolves with one Setup per channel.
 */
async function startTwoChannels(a: string, b: string): Promise<{ setupA: Setup; setupB: Setup }> {
  const setupA = await setUp(a, disposers, { startNodes: [] });
  setRaftOptions(setupA.channelFile, { evictionSuspicion: '3s' });
  const config = parse(fs.readFileSync(setupA.channelFile, 'utf8')) as Record<string, unknown>;
  const channelFileB = path.join(path.dirname(setupA.channelFile), `${b}.yaml`);
  fs.writeFileSync(channelFileB, stringify({ ...config, channelId: b }));
  for (const node of setupA.cluster.nodes) {
    const file = path.join(setupA.dir, nodePaths(node.id).config);
    const nodeConfig = parse(fs.readFileSync(file, 'utf8')) as { channels: string[] };
    nodeConfig.channels.push(`../../channels/${b}.yaml`);
    fs.writeFileSync(file, stringify(nodeConfig));
  }
  setupA.cluster.startAll();
  await setupA.cluster.waitHealthy(60_000);
  return { setupA, setupB: { ...setupA, channelFile: channelFileB } };
}

/** Removes follower `victim` from the channel while it is down and adds it back (consenter 4), then restarts it: it re-onboards as 4. */
async function readdAsFour(setup: Setup, channelId: string, victim: number, acknowledged: readonly string[]): Promise<void> {
  const rest = [1, 2, 3].filter((id) => id !== victim);
  await removeWhileDown(setup, channelId, victim, rest, acknowledged);
  const readd = await updateChannel(setup, rest[0]!, setup.channelFile);
  expect(readd.code, readd.stderr).toBe(0);
  const readding = await configBlockOf(setup, rest[0]!, channelId, 2, 30_000);
  expect(readBlockSignatures(readding).etcdraft?.consenterIds).toEqual([1, 2, 3].map((id) => (id === victim ? 4 : id)));
  setup.cluster.process(victim).start();
  await setup.cluster.waitListening(victim, 60_000);
  const line = await waitLogLine(setup, victim, new RegExp(`re-onboarding channel .{0,2}${channelId}`), 90_000);
  expect(line).toContain(`as consenter 4 (config block ${readding.header.number})`);
  // Caught up by itself before the next node goes down (the channel keeps a quorum).
  await blocksHolding(setup, victim, channelId, acknowledged, 90_000);
}

describe('one Raft id naming different orderers on different channels', () => {
  it('two channels whose consenter 4 is a different node each re-onboard, order through every node and replicate', async () => {
    const { setupA: a, setupB: b } = await startTwoChannels('ids-a', 'ids-b');
    const leaderA = await waitLeaderOf(a, 'ids-a', 30_000);
    const leaderB = await waitLeaderOf(b, 'ids-b', 30_000);
    // P: a follower of a; Q: another node, a follower of b (the third node, R, keeps its id on both).
    const p = [1, 2, 3].find((id) => id !== leaderA && id !== leaderB) ?? [1, 2, 3].find((id) => id !== leaderA)!;
    const q = [1, 2, 3].find((id) => id !== p && id !== leaderB)!;
    expect(q).toBeDefined();
    const firstA = await order(a, leaderA, 'ids-a', 30);
    const firstB = await order(b, leaderB, 'ids-b', 30);
    expect([firstA.length, firstB.length]).toEqual([30, 30]);

    await readdAsFour(
      a,
      'ids-a',
      p,
      firstA.map((e) => e.txId),
    );
    await readdAsFour(
      b,
      'ids-b',
      q,
      firstB.map((e) => e.txId),
    );
    for (const id of [1, 2, 3]) await waitHealthz(a, id, 60_000);

    // Every node orders on both channels: P forwards on a as 4 and on b under its own id, Q the other way round.
    const more: Record<string, Awaited<ReturnType<typeof order>>> = { 'ids-a': [], 'ids-b': [] };
    for (const id of [1, 2, 3]) {
      for (const channelId of ['ids-a', 'ids-b']) {
        const ordered = await order(a, id, channelId, 20);
        expect(ordered.length, `node ${id} on ${channelId}`).toBe(20);
        more[channelId]!.push(...ordered);
      }
    }
    await checkChannel(a, 'ids-a', [1, 2, 3], [...firstA, ...more['ids-a']!]);
    await checkChannel(b, 'ids-b', [1, 2, 3], [...firstB, ...more['ids-b']!]);
  }, 600_000);
});
