// Channels on running nodes (real `orderer start` processes on loopback):
// 1. three nodes start with NO channel; a channel is joined on all three with
//    `orderer channel join`, orders envelopes, is listed, removed from one
//    node (its data deleted: not back after a restart), comes back after a
//    restart of a node that still has it, and is joined again on the node it
//    was removed from, which catches up from block 0;
// 2. four channels at once under load on a 3-node cluster (one configured,
//    three joined over the participation API), each chain checked separately:
//    valid hash chain, identical on every node, every acknowledged envelope
//    exactly once.

import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { decodeBlock, encodeBlock, extractChannelConfig, HeaderType, readEnvelopeFields, type Block } from '../../src/block/index.js';
import { connectAtomicBroadcast, deliver } from '../../src/client/abClient.js';
import { loadClientCreator } from '../../src/client/envelopePool.js';
import { genesisBlockOfChannel } from '../../src/node/genesis.js';
import { ADMIN_MSP_DIRS } from '../../src/cli/dev/keygen.js';
import { REMOVED_CHANNELS_FILE } from '../../src/node/ordererNode.js';
import { clientMsp, address, clientTls, readManifest } from '../../src/cli/dev/layout.js';
import { metricValue } from '../../src/client/nodeMetrics.js';
import { loadChannelConfig } from '../../src/config/index.js';
import { openWalEnvironment } from '../../src/storage/index.js';
import pino from 'pino';
import { blocksHolding, checkChannel, order, orderer, operationsUrl, setUp as setUpCluster, waitLeaderOf, type Setup } from './channelSupport.js';

/**
 * Load of the four-channel test: 4 x this many 1 KiB envelopes at once, at least 8 blocks of 50 per
 * channel with the four chains' blocks cut, replicated and stored interleaved. More proves nothing
 * further and lengthens the window in which a loaded machine can delay a heartbeat past the election
 * timeout (an envelope answered SERVICE_UNAVAILABLE then is not acknowledged).
 */
const ENVELOPES_PER_CHANNEL = 400;
const disposers: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const dispose of disposers.reverse()) await dispose();
}, 120_000);

function setUp(channelId: string, withoutChannels: boolean, nodes = 3): Promise<Setup> {
  return setUpCluster(channelId, disposers, { withoutChannels, nodes });
}

describe('channels joined on running nodes', () => {
  it('joins a channel on three channel-less nodes with the CLI, orders, lists, removes it from one node (its data deleted), keeps it across a restart, and joins it again where it was removed', async () => {
    const channelId = 'joined-channel';
    const setup = await setUp(channelId, true);
    for (const node of setup.cluster.nodes) {
      const listed = await orderer(['channel', 'list', '--node', operationsUrl(setup, node.id)]);
      expect(listed.code).toBe(0);
      expect(JSON.parse(listed.stdout).channels).toEqual([]);
    }
    const blockFile = path.join(setup.dir, 'joined-channel.block');
    const written = await orderer(['genesis', '--channel-config', setup.channelFile, '--out', blockFile]);
    expect(written.code, written.stderr).toBe(0);
    for (const node of setup.cluster.nodes) {
      const joined = await orderer(['channel', 'join', '--block', blockFile, '--node', operationsUrl(setup, node.id)]);
      expect(joined.code, joined.stderr).toBe(0);
      expect(JSON.parse(joined.stdout)).toMatchObject({ name: channelId, status: 'active', consensusRelation: 'consenter' });
    }
    const again = await orderer(['channel', 'join', '--block', blockFile, '--node', operationsUrl(setup, 1)]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/HTTP 409.*joined-channel/);

    await waitLeaderOf(setup, channelId, 30_000);
    const first = await order(setup, 1, channelId, 120);
    expect(first.length).toBe(120);
    await checkChannel(setup, channelId, [1, 2, 3], first);

    const one = await orderer(['channel', 'list', '--channel', channelId, '--node', operationsUrl(setup, 2)]);
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout).height).toBeGreaterThan(1);

    const removed = await orderer(['channel', 'remove', '--channel', channelId, '--node', operationsUrl(setup, 3)]);
    expect(removed.code, removed.stderr).toBe(0);
    const gone = await orderer(['channel', 'list', '--channel', channelId, '--node', operationsUrl(setup, 3)]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/HTTP 404/);
    const metrics = await (await fetch(`${operationsUrl(setup, 3)}/metrics`)).text();
    expect(metricValue(metrics, 'consensus_etcdraft_cluster_size', channelId)).toBeUndefined();

    // Node 1 restarts: the joined channel is re-opened from its stored genesis block.
    await setup.cluster.process(1).stop(10_000);
    setup.cluster.process(1).start();
    await setup.cluster.waitListening(1, 60_000);
    const afterRestart = await orderer(['channel', 'list', '--node', operationsUrl(setup, 1)]);
    expect(JSON.parse(afterRestart.stdout).channels.map((c: { name: string }) => c.name)).toEqual([channelId]);
    await waitLeaderOf(setup, channelId, 30_000);
    const second = await order(setup, 2, channelId, 60);
    expect(second.length).toBe(60);
    await checkChannel(setup, channelId, [1, 2], [...first, ...second]);

    // Node 3 restarts: the channel removed from it stays removed, its data is gone from its storage.
    await setup.cluster.process(3).stop(10_000);
    const storage = openWalEnvironment({ dir: path.join(setup.dir, setup.cluster.node(3).dataDir), engine: 'native', logger: pino({ level: 'silent' }) });
    try {
      expect(storage.storedChannels()).not.toContain(channelId);
    } finally {
      await storage.close();
    }
    setup.cluster.process(3).start();
    await setup.cluster.waitListening(3, 60_000);
    const stillGone = await orderer(['channel', 'list', '--node', operationsUrl(setup, 3)]);
    expect(JSON.parse(stillGone.stdout).channels).toEqual([]);

    // Joined again on node 3 from the genesis block: it starts from block 0 and catches up with the others.
    const rejoined = await orderer(['channel', 'join', '--block', blockFile, '--node', operationsUrl(setup, 3)]);
    expect(rejoined.code, rejoined.stderr).toBe(0);
    await waitLeaderOf(setup, channelId, 30_000);
    // Ordered through node 1: node 3's cluster streams are still in reconnect back-off; checkChannel waits until it holds every envelope.
    const third = await order(setup, 1, channelId, 60);
    expect(third.length).toBe(60);
    await checkChannel(setup, channelId, [1, 2, 3], [...first, ...second, ...third]);

    // A removal a crash interrupted (journaled, data not yet deleted) is finished at the next start:
    // the channel is not served and its data is gone, so it can be joined again.
    await setup.cluster.process(3).stop(10_000);
    fs.writeFileSync(path.join(setup.dir, setup.cluster.node(3).dataDir, REMOVED_CHANNELS_FILE), JSON.stringify({ removed: [channelId] }));
    setup.cluster.process(3).start();
    await setup.cluster.waitListening(3, 60_000);
    expect(JSON.parse((await orderer(['channel', 'list', '--node', operationsUrl(setup, 3)])).stdout).channels).toEqual([]);
    const joinedAfterCrash = await orderer(['channel', 'join', '--block', blockFile, '--node', operationsUrl(setup, 3)]);
    expect(joinedAfterCrash.code, joinedAfterCrash.stderr).toBe(0);
    await checkChannel(setup, channelId, [1, 2, 3], [...first, ...second, ...third]);
  }, 240_000);

  it("updates a running channel's batch size with orderer channel update signed by enough admins; fewer are FORBIDDEN naming the policy", async () => {
    const channelId = 'upd-channel';
    const setup = await setUp(channelId, false);
    await waitLeaderOf(setup, channelId, 30_000);
    const manifest = readManifest(setup.dir);
    const original = fs.readFileSync(setup.channelFile, 'utf8');
    const edited = parse(original) as { batchSize: { maxMessageCount: number } };
    edited.batchSize.maxMessageCount = 3;
    const editedFile = path.join(setup.dir, 'channels/upd-edited.yaml');
    fs.writeFileSync(editedFile, stringify(edited));
    const target = [
      '--channel-config',
      editedFile,
      '--orderer',
      address(setup.cluster.node(1), 'client'),
      '--tls-ca',
      path.join(setup.dir, manifest.tlsCaFile),
      '--server-name',
      'localhost',
    ];

    const needs = (satisfied: number) =>
      `FORBIDDEN: error applying config update to existing channel '${channelId}': error authorizing update: error validating DeltaSet: ` +
      `policy for [Value]  /Channel/Orderer/BatchSize not satisfied: mod_policy /Channel/Orderer/Admins: implicit policy evaluation failed - ` +
      `${satisfied} sub-policies were satisfied, but this policy requires 2 of the 'Admins' sub-policies to be satisfied`;
    const byClient = await orderer(['channel', 'update', ...target, '--msp-dir', path.join(setup.dir, 'client/msp'), '--msp-id', 'Org1MSP']);
    expect(byClient.code).toBe(1);
    expect(byClient.stderr).toContain(needs(0));

    // Both organizations are in the Orderer group (a channel file puts them there): MAJORITY is 2 of 2.
    const oneAdmin = await orderer(['channel', 'update', ...target, '--msp-dir', path.join(setup.dir, ADMIN_MSP_DIRS.orderer), '--msp-id', 'OrdererMSP']);
    expect(oneAdmin.code).toBe(1);
    expect(oneAdmin.stderr).toContain(needs(1));

    const byAdmins = await orderer([
      'channel',
      'update',
      ...target,
      '--msp-dir',
      path.join(setup.dir, ADMIN_MSP_DIRS.orderer),
      '--msp-id',
      'OrdererMSP',
      '--msp-dir',
      path.join(setup.dir, ADMIN_MSP_DIRS.client),
      '--msp-id',
      'Org1MSP',
    ]);
    expect(byAdmins.code, byAdmins.stderr).toBe(0);
    expect(byAdmins.stdout).toContain('sequence 1');

    const acknowledged = await order(setup, 2, channelId, 60);
    await checkChannel(setup, channelId, [1, 2, 3], acknowledged);
    const blocks = await blocksHolding(
      setup,
      3,
      channelId,
      acknowledged.map((e) => e.txId),
      60_000,
    );
    const configBlocks = blocks.filter((b) => b.header.number > 0 && readEnvelopeFields(b.data[0]!).headerType === HeaderType.CONFIG);
    expect(configBlocks).toHaveLength(1);
    expect(configBlocks[0]!.data).toHaveLength(1);
    expect(extractChannelConfig(configBlocks[0]!).batchSize.maxMessageCount).toBe(3);
    const after = blocks.filter((b) => b.header.number > configBlocks[0]!.header.number);
    expect(after.length).toBeGreaterThanOrEqual(20);
    expect(Math.max(...after.map((b) => b.data.length))).toBeLessThanOrEqual(3);
  }, 240_000);

  it('grows a joined channel from 3 to 4 consenters: config update by an admin, then the new node joins with the latest config block and block 0', async () => {
    const channelId = 'grow-channel';
    const setup = await setUp(channelId, true, 4);
    const manifest = readManifest(setup.dir);
    // Block 0 names consenters 1..3; the keygen file (all four) is the config after the update.
    const fourFile = setup.channelFile;
    const three = parse(fs.readFileSync(fourFile, 'utf8')) as { consenters: unknown[] };
    three.consenters = three.consenters.slice(0, 3);
    const threeFile = path.join(setup.dir, 'channels/grow-three.yaml');
    fs.writeFileSync(threeFile, stringify(three));
    const genesisFile = path.join(setup.dir, 'grow-genesis.block');
    fs.writeFileSync(genesisFile, genesisBlockOfChannel(loadChannelConfig(threeFile)));
    for (const id of [1, 2, 3]) expect((await orderer(['channel', 'join', '--block', genesisFile, '--node', operationsUrl(setup, id)])).code).toBe(0);
    await waitLeaderOf(setup, channelId, 30_000);
    const first = await order(setup, 1, channelId, 60);

    const update = await orderer([
      'channel',
      'update',
      '--channel-config',
      fourFile,
      '--orderer',
      address(setup.cluster.node(1), 'client'),
      '--tls-ca',
      path.join(setup.dir, manifest.tlsCaFile),
      '--server-name',
      'localhost',
      '--msp-dir',
      path.join(setup.dir, ADMIN_MSP_DIRS.orderer),
      '--msp-id',
      'OrdererMSP',
      '--msp-dir',
      path.join(setup.dir, ADMIN_MSP_DIRS.client),
      '--msp-id',
      'Org1MSP',
    ]);
    expect(update.code, update.stderr).toBe(0);
    // The latest config block, as node 1 serves it, is what node 4 joins with.
    const client = connectAtomicBroadcast(address(setup.cluster.node(1), 'client'), clientTls(setup.dir, manifest));
    let configBlock: Block | undefined;
    try {
      const deadline = performance.now() + 30_000;
      while (configBlock === undefined && performance.now() < deadline) {
        const { blocks } = await deliver(client, {
          channelId,
          creator: loadClientCreator(clientMsp(setup.dir, manifest)),
          start: { type: 'oldest' },
          stop: { type: 'newest' },
        });
        configBlock = blocks.find((b) => b.header.number > 0 && readEnvelopeFields(b.data[0]!).headerType === HeaderType.CONFIG);
        if (configBlock === undefined) await sleep(200);
      }
    } finally {
      client.close();
    }
    expect(configBlock).toBeDefined();
    expect(extractChannelConfig(configBlock!).consenters).toHaveLength(4);
    const configFile = path.join(setup.dir, 'grow-config.block');
    fs.writeFileSync(configFile, encodeBlock(configBlock!));
    const joined = await orderer(['channel', 'join', '--block', configFile, '--genesis-block', genesisFile, '--node', operationsUrl(setup, 4)]);
    expect(joined.code, joined.stderr).toBe(0);

    const second = await order(setup, 2, channelId, 60);
    expect(second.length).toBe(60);
    await checkChannel(setup, channelId, [1, 2, 3, 4], [...first, ...second]);
    const metrics = await (await fetch(`${operationsUrl(setup, 1)}/metrics`)).text();
    expect(metricValue(metrics, 'consensus_etcdraft_cluster_size', channelId)).toBe(4);
  }, 240_000);

  it('runs four channels at once under load; each chain is valid, identical on every node, every acknowledged envelope once', async () => {
    const configured = 'chan-a';
    const setup = await setUp(configured, false);
    const base = loadChannelConfig(setup.channelFile);
    const joined = ['chan-b', 'chan-c', 'chan-d'];
    for (const channelId of joined) {
      const block = genesisBlockOfChannel({ ...base, channelId });
      expect(decodeBlock(block).header.number).toBe(0);
      for (const node of setup.cluster.nodes) {
        const answer = await fetch(`${operationsUrl(setup, node.id)}/participation/v1/channels`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/octet-stream' },
          body: block,
          signal: AbortSignal.timeout(30_000),
        });
        expect(answer.status, await answer.clone().text()).toBe(201);
      }
    }
    const channels = [configured, ...joined];
    for (const channelId of channels) await waitLeaderOf(setup, channelId, 30_000);
    const metrics = await (await fetch(`${operationsUrl(setup, 1)}/metrics`)).text();
    expect(metrics).toMatch(/^orderer_channels 4$/m);
    for (const channelId of channels) {
      expect(metricValue(metrics, 'consensus_etcdraft_cluster_size', channelId)).toBe(3);
      expect(metricValue(metrics, 'consensus_etcdraft_active_nodes', channelId)).toBeDefined();
    }
    // Load on all four at once, each channel through a different entry node.
    const acknowledged = await Promise.all(channels.map((channelId, i) => order(setup, (i % 3) + 1, channelId, ENVELOPES_PER_CHANNEL)));
    for (const [i, channelId] of channels.entries()) {
      expect(acknowledged[i]!.length).toBe(ENVELOPES_PER_CHANNEL);
      await checkChannel(setup, channelId, [1, 2, 3], acknowledged[i]!);
    }
  }, 240_000);
});
