// Membership changes that touch the leader or the quorum, on real `orderer
// start` processes (loopback):
// 1. removing the leader: it transfers leadership first (the next leader is
//    started by its MsgTimeoutNow, not by an election timeout) and that leader
//    proposes the removal; the removed node stops serving the channel and
//    logs why; ordering goes on under a Broadcast load;
// 2. a change that would lose quorum with one of three nodes stopped (adding
//    a fourth, removing a live one, rotating the leader's own certificate) is refused by `orderer channel update`
//    naming the quorum rule and the unreachable node; the config stays at
//    its sequence and ordering goes on.
// Each ends with the check.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { currentConfigOf, HeaderType, readEnvelopeFields, Status } from '../../src/block/index.js';
import { nodePaths } from '../../src/cli/dev/layout.js';
import { PREVIOUS_TLS_DIR } from '../../src/cli/dev/tlsReissue.js';
import { checkChannel, order, orderer, operationsUrl, servedBlocks, setUp, waitLeaderOf } from './channelSupport.js';
import { channelFileWith, updateChannel } from './configUpdateSupport.js';
import { startBackgroundLoad, waitMetric, writeGenesis } from './membershipSupport.js';
import { broadcastOne, waitLogLine } from './nodeSupport.js';

const disposers: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const dispose of disposers.reverse()) await dispose();
}, 120_000);

describe('membership changes of the leader and the quorum', () => {
  it('removes the leader: it hands leadership over first, the next leader removes it, the removed node stops serving and says why', async () => {
    const channelId = 'leader-removal';
    const setup = await setUp(channelId, disposers);
    const leader = await waitLeaderOf(setup, channelId, 30_000);
    const staying = [1, 2, 3].filter((id) => id !== leader);
    const load = startBackgroundLoad(setup, staying[0]!, channelId, 100);
    try {
      await load.waitMore(40, 30_000);
      const update = await updateChannel(setup, leader, channelFileWith(setup, 'without-leader', staying));
      expect(update.code, update.stderr).toBe(0);

      const transfer = await waitLogLine(setup, leader, /removed from the channel by config: transferring leadership to node \d+ first/, 30_000);
      const transferee = Number(/transferring leadership to node (\d+)/.exec(transfer)![1]);
      expect(staying).toContain(transferee);
      // The transferee campaigned because it was told to (MsgTimeoutNow), not after an election timeout.
      await waitLogLine(setup, transferee, new RegExp(`received MsgTimeoutNow from ${leader} and starts an election`), 30_000);
      await waitLogLine(setup, transferee, /proposed raft membership change: removing node \d+/, 30_000);
      await waitMetric(setup, staying, 'consensus_etcdraft_cluster_size', channelId, 2, 30_000);
      expect(await waitLeaderOf(setup, channelId, 30_000)).toBe(transferee);

      const line = await waitLogLine(setup, leader, /was removed from channel .*by config block \d+.*stops serving/, 30_000);
      expect(line).toContain(channelId);
      const refused = await broadcastOne(setup, leader, channelId);
      expect(Status[refused.status]).toBe('SERVICE_UNAVAILABLE');
      expect(refused.info).toMatch(new RegExp(`removed from channel "${channelId}" by config block \\d+`));

      await load.waitMore(40, 30_000);
      const acknowledged = await load.stop();
      await checkChannel(setup, channelId, staying, acknowledged);
      await checkChannel(setup, channelId, [staying[0]!, leader], []);
    } finally {
      await load.stop();
    }
  }, 240_000);

  it('refuses a change that would lose quorum while a node is down, naming the rule and the node; the config is unchanged and ordering goes on', async () => {
    const channelId = 'quorum-refusal';
    // Four channel-less nodes; the channel's block 0 names consenters 1..3, node 4 is the candidate to add.
    const setup = await setUp(channelId, disposers, { withoutChannels: true, nodes: 4 });
    const threeFile = channelFileWith(setup, 'quorum-three', [1, 2, 3]);
    const genesisFile = writeGenesis(setup, threeFile, 'quorum-genesis');
    for (const id of [1, 2, 3]) {
      const joined = await orderer(['channel', 'join', '--block', genesisFile, '--node', operationsUrl(setup, id)]);
      expect(joined.code, joined.stderr).toBe(0);
    }
    const leader = await waitLeaderOf(setup, channelId, 30_000);
    // Every member knows the leader (node 4, channel-less, is healthy anyway).
    await setup.cluster.waitHealthy(30_000);
    const [down, live] = [1, 2, 3].filter((id) => id !== leader) as [number, number];
    const first = await order(setup, live, channelId, 60);
    expect(first.length).toBe(60);

    await setup.cluster.process(down).stop(10_000);
    // The leader sees it gone: active_nodes counts the reachable consenters, itself included.
    await waitMetric(setup, [leader], 'consensus_etcdraft_active_nodes', channelId, 2, 30_000);

    const adding = await updateChannel(setup, live, channelFileWith(setup, 'quorum-four', [1, 2, 3, 4]));
    expect(adding.code).toBe(1);
    expect(adding.stderr).toMatch(
      /BAD_REQUEST: config update refused \(quorum\): after this consenter change 4 voters need 3 to agree, but only 2 are reachable/,
    );
    expect(adding.stderr).toMatch(new RegExp(`unreachable or changing: .*\\b${down}\\b`));

    const removingLive = await updateChannel(
      setup,
      leader,
      channelFileWith(
        setup,
        'quorum-without-live',
        [1, 2, 3].filter((id) => id !== live),
      ),
    );
    expect(removingLive.code).toBe(1);
    expect(removingLive.stderr).toMatch(
      /BAD_REQUEST: config update refused \(quorum\): after this consenter change 2 voters need 2 to agree, but only 1 are reachable/,
    );
    expect(removingLive.stderr).toMatch(new RegExp(`unreachable or changing: ${down}\\b`));

    // The leader rotating its own certificate: the peers would refuse it until it restarts, so it counts as unreachable too.
    const reissued = await orderer(['keygen', 'reissue-tls', '--dir', setup.dir, '--node', String(leader)]);
    expect(reissued.code, reissued.stderr).toBe(0);
    const rotatingLeader = await updateChannel(setup, leader, threeFile);
    expect(rotatingLeader.code).toBe(1);
    expect(rotatingLeader.stderr).toMatch(
      /BAD_REQUEST: config update refused \(quorum\): after this consenter change 3 voters need 2 to agree, but only 1 are reachable/,
    );
    expect(rotatingLeader.stderr).toMatch(new RegExp(`unreachable or changing: .*\\b${down}\\b`));
    // Back to the certificate it runs with (a later restart must present the pinned one).
    const tlsDir = path.join(setup.dir, path.dirname(nodePaths(leader).tlsCert));
    for (const file of ['server.crt', 'server.key']) fs.copyFileSync(path.join(tlsDir, PREVIOUS_TLS_DIR, file), path.join(tlsDir, file));

    // Nothing was ordered: block 0 is still the only config block, at sequence 0.
    const blocks = await servedBlocks(setup, leader, channelId);
    const configBlocks = blocks.filter((b) => readEnvelopeFields(b.data[0]!).headerType === HeaderType.CONFIG);
    expect(configBlocks.map((b) => b.header.number)).toEqual([0]);
    expect(currentConfigOf(configBlocks[0]!).config.sequence).toBe(0);
    await waitMetric(setup, [leader, live], 'consensus_etcdraft_cluster_size', channelId, 3, 10_000);

    const second = await order(setup, live, channelId, 60);
    expect(second.length).toBe(60);
    setup.cluster.process(down).start();
    await setup.cluster.waitListening(down, 60_000);
    await checkChannel(setup, channelId, [1, 2, 3], [...first, ...second]);
  }, 240_000);
});
