// The end-of-run verdict: every node's blocks of every channel, compared
// block by block over the common prefix, the longest chain verified (hash
// chain, data hashes, creator and orderer signatures), no tx id ordered
// twice, every envelope acknowledged in committed mode present, and every
// envelope acknowledged in accepted mode either present or lost to a crash
// of that channel's leader that could have taken it (lossAttribution.ts).

import { setTimeout as sleep } from 'node:timers/promises';
import type { Block } from '../../src/block/index.js';
import { connectAtomicBroadcast, deliver } from '../../src/client/index.js';
import { loadClientCreator } from '../../src/client/index.js';
import { address, clientMsp, clientTls } from '../../src/cli/index.js';
import { hashChainFault, headersOf, ledgerFailures, txIdsOf } from '../../bench/lib/ledgerChecks.js';
import type { NemesisCluster } from './cluster.js';
import type { CrashEvent } from './faults.js';
import type { NemesisLoad } from './load.js';
import { crashThatLost, type CutOffLeader } from './lossAttribution.js';

export interface ChannelVerdict {
  readonly channel: string;
  readonly height: number;
  readonly transactions: number;
  readonly duplicates: number;
  readonly committedAcks: number;
  readonly committedLost: number;
  readonly acceptedAcks: number;
  /** Lost accepted-mode acknowledgements that a leader crash explains. */
  readonly acceptedLostToCrash: number;
  readonly acceptedLostUnexplained: number;
}

export interface Verdict {
  readonly channels: readonly ChannelVerdict[];
  readonly failures: readonly string[];
}

async function blocksOf(cluster: NemesisCluster, node: number, channel: string): Promise<Block[]> {
  const client = connectAtomicBroadcast(address(cluster.local.node(node), 'client'), clientTls(cluster.dir, cluster.manifest));
  try {
    const creator = loadClientCreator(clientMsp(cluster.dir, cluster.manifest));
    const { blocks } = await deliver(client, { channelId: channel, creator, start: { type: 'oldest' }, stop: { type: 'newest' } });
    return blocks;
  } finally {
    client.close();
  }
}

/** Every node's blocks once their heights agree (polls up to `timeoutMs`; then takes what they have). */
async function settledBlocks(cluster: NemesisCluster, channel: string, timeoutMs: number): Promise<Block[][]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const perNode = await Promise.all(cluster.ids.map((id) => blocksOf(cluster, id, channel)));
    const heights = perNode.map((b) => b.length);
    if (Math.min(...heights) === Math.max(...heights) || performance.now() > deadline) return perNode;
    await sleep(250);
  }
}

export async function checkRun(cluster: NemesisCluster, load: NemesisLoad, crashes: readonly CrashEvent[], cutOffs: readonly CutOffLeader[]): Promise<Verdict> {
  const failures: string[] = [];
  const channels: ChannelVerdict[] = [];
  const hash = cluster.manifest.algorithm === 'sm2' ? 'sm3' : 'sha256';
  for (const channel of cluster.channels) {
    const perNode = await settledBlocks(cluster, channel, 30_000);
    const heights = perNode.map((b) => b.length);
    if (Math.min(...heights) !== Math.max(...heights)) failures.push(`${channel}: heights differ at the end: ${heights.join(', ')}`);
    const shortest = Math.min(...heights);
    const reference = perNode.reduce((a, b) => (b.length > a.length ? b : a));
    const refHeaders = headersOf(reference.slice(0, shortest));
    perNode.forEach((blocks, i) => {
      const headers = headersOf(blocks.slice(0, shortest));
      const diverge = headers.findIndex((h, n) => h !== refHeaders[n]);
      if (diverge >= 0) failures.push(`${channel}: node ${cluster.ids[i]} diverges at block ${diverge}`);
    });
    for (const [i, blocks] of perNode.entries()) {
      const fault = hashChainFault(blocks, hash);
      if (fault !== undefined) failures.push(`${channel}: node ${cluster.ids[i]}: ${fault}`);
    }
    for (const line of ledgerFailures(reference, hash).slice(0, 5)) failures.push(`${channel}: ${line}`);
    const ordered = txIdsOf(reference);
    const counts = new Map<string, number>();
    for (const t of ordered) counts.set(t, (counts.get(t) ?? 0) + 1);
    const duplicates = [...counts.values()].filter((n) => n > 1).length;
    if (duplicates > 0) failures.push(`${channel}: ${duplicates} tx ids ordered more than once`);
    let committedAcks = 0;
    let committedLost = 0;
    let acceptedAcks = 0;
    let acceptedLostToCrash = 0;
    let acceptedLostUnexplained = 0;
    for (const [txId, ack] of load.acks) {
      if (ack.channel !== channel) continue;
      const present = counts.has(txId);
      if (ack.mode === 'committed') {
        committedAcks++;
        if (!present) {
          committedLost++;
          failures.push(`${channel}: tx ${txId} acknowledged "${ack.info}" (committed mode) at ${ack.atMs.toFixed(0)} ms is not in the chain`);
        }
        continue;
      }
      acceptedAcks++;
      if (present) continue;
      if (crashThatLost(ack, crashes, cutOffs) !== undefined) acceptedLostToCrash++;
      else {
        acceptedLostUnexplained++;
        if (acceptedLostUnexplained <= 5)
          failures.push(
            `${channel}: tx ${txId} sent at ${ack.sentAtMs.toFixed(0)} ms to node ${ack.node}, acknowledged (accepted mode) at ${ack.atMs.toFixed(0)} ms, is lost with no crash of the channel's leader that could have taken it`,
          );
      }
    }
    if (acceptedLostUnexplained > 5)
      failures.push(`${channel}: ${acceptedLostUnexplained} accepted-mode acknowledgements lost without a leader crash to explain them`);
    channels.push({
      channel,
      height: reference.length,
      transactions: ordered.length,
      duplicates,
      committedAcks,
      committedLost,
      acceptedAcks,
      acceptedLostToCrash,
      acceptedLostUnexplained,
    });
  }
  return { channels, failures };
}
