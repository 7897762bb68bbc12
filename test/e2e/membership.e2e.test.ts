// Membership changes on real `orderer start` processes (loopback), under a
// background Broadcast load to node 1 (a member throughout): the channel grows
// 3 -> 4 -> 5 and shrinks back 5 -> 4 -> 3, one consenter per
// `orderer channel update` by the orderer admin. Each new node joins with the
// latest config block and block 0 (`orderer channel join --block ...
// --genesis-block ...`); after each step every member reports the new
// cluster_size and the load keeps being acknowledged; a removed node answers
// Broadcast SERVICE_UNAVAILABLE naming its removal and its log says why. Ends
// with the check over the remaining nodes.

import { afterAll, describe, expect, it } from 'vitest';
import { extractChannelConfig, Status } from '../../src/block/index.js';
import { checkChannel, blocksHolding, orderer, operationsUrl, setUp, waitLeaderOf } from './channelSupport.js';
import { channelFileWith, configBlockOf, updateChannel } from './configUpdateSupport.js';
import { startBackgroundLoad, waitMetric, writeBlock, writeGenesis } from './membershipSupport.js';
import { broadcastOne, waitLogLine } from './nodeSupport.js';

const disposers: Array<() => Promise<void>> = [];
/** Acknowledgements the load must gather after each step: ordering goes on under the new membership. */
const PROGRESS_PER_STEP = 40;
const STEP_TIMEOUT_MS = 45_000;

afterAll(async () => {
  for (const dispose of disposers.reverse()) await dispose();
}, 120_000);

describe('membership changes under load', () => {
  it('grows a channel 3 -> 4 -> 5 and shrinks it back 5 -> 4 -> 3 while a Broadcast load runs', async () => {
    const channelId = 'members-channel';
    // Five channel-less nodes; block 0 names consenters 1..3, nodes 4 and 5 join when added.
    const setup = await setUp(channelId, disposers, { withoutChannels: true, nodes: 5 });
    const files = new Map(
      [3, 4, 5].map((n) => [
        n,
        channelFileWith(
          setup,
          `members-${n}`,
          Array.from({ length: n }, (_, i) => i + 1),
        ),
      ]),
    );
    const genesisFile = writeGenesis(setup, files.get(3)!, 'members-genesis');
    for (const id of [1, 2, 3]) {
      const joined = await orderer(['channel', 'join', '--block', genesisFile, '--node', operationsUrl(setup, id)]);
      expect(joined.code, joined.stderr).toBe(0);
    }
    await waitLeaderOf(setup, channelId, 30_000);
    const load = startBackgroundLoad(setup, 1, channelId, 150);
    try {
      await load.waitMore(PROGRESS_PER_STEP, STEP_TIMEOUT_MS);
      let sequence = 0;

      for (const added of [4, 5]) {
        const update = await updateChannel(setup, 1, files.get(added)!);
        expect(update.code, update.stderr).toBe(0);
        sequence++;
        expect(update.stdout).toContain(`sequence ${sequence}`);
        const configBlock = await configBlockOf(setup, 1, channelId, sequence, STEP_TIMEOUT_MS);
        expect(extractChannelConfig(configBlock).consenters).toHaveLength(added);
        const joined = await orderer([
          'channel',
          'join',
          '--block',
          writeBlock(setup, configBlock, `members-config-${sequence}`),
          '--genesis-block',
          genesisFile,
          '--node',
          operationsUrl(setup, added),
        ]);
        expect(joined.code, joined.stderr).toBe(0);
        const members = Array.from({ length: added }, (_, i) => i + 1);
        await waitMetric(setup, members, 'consensus_etcdraft_cluster_size', channelId, added, STEP_TIMEOUT_MS);
        await load.waitMore(PROGRESS_PER_STEP, STEP_TIMEOUT_MS);
        // The new node replicates: it holds everything acknowledged so far (pulled, then written by itself).
        await blocksHolding(
          setup,
          added,
          channelId,
          load.acknowledged.map((e) => e.txId),
          STEP_TIMEOUT_MS,
        );
      }

      for (const removed of [5, 4]) {
        const remaining = removed - 1;
        const update = await updateChannel(setup, 1, files.get(remaining)!);
        expect(update.code, update.stderr).toBe(0);
        sequence++;
        expect(update.stdout).toContain(`sequence ${sequence}`);
        const members = Array.from({ length: remaining }, (_, i) => i + 1);
        await waitMetric(setup, members, 'consensus_etcdraft_cluster_size', channelId, remaining, STEP_TIMEOUT_MS);
        await load.waitMore(PROGRESS_PER_STEP, STEP_TIMEOUT_MS);
        const line = await waitLogLine(setup, removed, /was removed from channel .*by config block \d+.*stops serving/, STEP_TIMEOUT_MS);
        expect(line).toContain(channelId);
        const refused = await broadcastOne(setup, removed, channelId);
        expect(Status[refused.status]).toBe('SERVICE_UNAVAILABLE');
        expect(refused.info).toMatch(new RegExp(`removed from channel "${channelId}" by config block \\d+`));
      }

      const acknowledged = await load.stop();
      expect(acknowledged.length).toBeGreaterThanOrEqual(5 * PROGRESS_PER_STEP);
      await checkChannel(setup, channelId, [1, 2, 3], acknowledged);
      // The removed nodes hold a prefix of the same chain, up to at least the block that removed them.
      await checkChannel(setup, channelId, [1, 4, 5], []);
    } finally {
      await load.stop();
    }
  }, 240_000);
});
