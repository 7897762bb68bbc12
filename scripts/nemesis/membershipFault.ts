// The membership fault: a follower consenter of one channel is stopped
// (SIGTERM), removed from that channel by a config update (`orderer channel
// update`'s path, signed by the orderer and org1 admins keygen wrote), kept
// out for the fault's duration, added back by a second update (the channel
// file as it was: the same certificate, a new Raft id), then restarted: it
// re-onboards the channel by itself and catches up. Each step waits until the
// running consenters' Raft membership (consensus_etcdraft_cluster_size)
// shows it, so the next step starts from the committed change.

import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import fs from 'node:fs';
import { address, updateChannel } from '../../src/cli/index.js';
import { metricValue } from '../../src/client/index.js';
import type { NemesisCluster } from './cluster.js';

/** The admins whose signatures /Channel/Orderer/Admins needs (a MAJORITY of keygen's two organizations). */
const ADMINS = [
  { mspDir: 'admins/orderer/msp', mspId: 'OrdererMSP' },
  { mspDir: 'admins/org1/msp', mspId: 'Org1MSP' },
] as const;
const STEP_TIMEOUT_MS = 60_000;

/** Removes `node` (stopped already) from `channel`'s consenters, through node `via`; resolves once the others' Raft membership lost it. */
export async function removeConsenter(cluster: NemesisCluster, channel: string, node: number, via: readonly number[]): Promise<void> {
  const full = cluster.channelFiles.get(channel)!;
  const config = parse(fs.readFileSync(full, 'utf8')) as { consenters: { id: number }[] };
  const without = path.join(path.dirname(full), `${channel}-without-${node}.yaml`);
  fs.writeFileSync(without, stringify({ ...config, consenters: config.consenters.filter((c) => c.id !== node) }));
  await update(cluster, without, via);
  await waitClusterSize(cluster, channel, via, cluster.ids.length - 1);
}

/** Adds `node` back to `channel` (the channel file it started with), through `via`; resolves once the others' Raft membership has it. */
export async function addConsenterBack(cluster: NemesisCluster, channel: string, via: readonly number[]): Promise<void> {
  await update(cluster, cluster.channelFiles.get(channel)!, via);
  await waitClusterSize(cluster, channel, via, cluster.ids.length);
}

/** One config update, tried on each node of `via` in turn until one accepts it (a leader change under load may refuse it). */
async function update(cluster: NemesisCluster, channelFile: string, via: readonly number[]): Promise<void> {
  const deadline = performance.now() + STEP_TIMEOUT_MS;
  for (let attempt = 0; ; attempt++) {
    const node = cluster.local.node(via[attempt % via.length]!);
    try {
      await updateChannel({
        channelConfigFile: channelFile,
        ordererAddress: address(node, 'client'),
        tlsCaFile: path.join(cluster.dir, cluster.manifest.tlsCaFile),
        serverNameOverride: 'localhost',
        admins: ADMINS.map((a) => ({ mspDir: path.join(cluster.dir, a.mspDir), mspId: a.mspId })),
      });
      return;
    } catch (err) {
      if (performance.now() > deadline)
        throw new Error(`config update to ${path.basename(channelFile)} not accepted within ${STEP_TIMEOUT_MS} ms: ${(err as Error).message}`);
      await sleep(500);
    }
  }
}

async function waitClusterSize(cluster: NemesisCluster, channel: string, nodes: readonly number[], size: number): Promise<void> {
  const deadline = performance.now() + STEP_TIMEOUT_MS;
  let sizes: Array<number | undefined> = [];
  while (performance.now() < deadline) {
    sizes = await Promise.all(nodes.map((id) => clusterSizeOf(cluster, id, channel)));
    if (sizes.every((s) => s === size)) return;
    await sleep(200);
  }
  throw new Error(`${channel}: Raft membership of nodes ${nodes.join(', ')} is ${sizes.join(', ')}, not ${size}, after ${STEP_TIMEOUT_MS} ms`);
}

async function clusterSizeOf(cluster: NemesisCluster, node: number, channel: string): Promise<number | undefined> {
  try {
    const response = await fetch(`http://${address(cluster.local.node(node), 'operations')}/metrics`, { signal: AbortSignal.timeout(2000) });
    return metricValue(await response.text(), 'consensus_etcdraft_cluster_size', channel);
  } catch (err) {
    if (err instanceof Error) return undefined; // not answering now: asked again
    throw err;
  }
}
