// How fast a wiped node rejoins: a 3-node cluster of real orderer processes
// (the nemesis' cluster, proxies included) orders `--blocks` blocks per
// channel under the nemesis' load, the load stops, one follower is killed
// (-9), its data directory wiped and the node restarted; from the moment its
// listeners answer until its committed height reaches the others' on every
// channel, the figure is blocks per second and the rejoining process' CPU
// (user + system, every thread, from /proc) per block.
//
//   npm run bench:rejoin [-- --blocks 600 --channels 2 --rate 300 --batch-timeout-ms 50 --engine native|native-free --under-load --snapshot-interval '1 MB' --keep]
//
// Profile the rejoining node: ORDERER_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/p" (every node writes one).

import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import { address, clientMsp, intFlag, parseFlags } from '../src/cli/index.js';
import { loadClientCreator, nodeStatus } from '../src/client/index.js';
import { createCluster } from '../scripts/nemesis/cluster.js';
import { leaderOf } from '../scripts/nemesis/health.js';
import { NemesisLoad } from '../scripts/nemesis/load.js';
import { NEMESIS_DEFAULTS } from '../scripts/nemesis/options.js';
import { describeMachine } from './lib/machine.js';
import { cpuSince, threadGroupsCpu, totalUs } from './lib/threadCpu.js';

const flags = parseFlags('bench:rejoin', process.argv.slice(2), {
  blocks: { type: 'string' },
  channels: { type: 'string' },
  rate: { type: 'string' },
  'batch-timeout-ms': { type: 'string' },
  engine: { type: 'string' },
  'under-load': { type: 'boolean' },
  'snapshot-interval': { type: 'string' },
  keep: { type: 'boolean' },
});
const blocks = intFlag(flags, 'blocks', 600, 10, 100_000);
const channels = intFlag(flags, 'channels', 2, 1, 16);
const rate = intFlag(flags, 'rate', 300, 1, 100_000);
const batchTimeoutMs = intFlag(flags, 'batch-timeout-ms', 50, 10, 10_000);
const engine = flags['engine'] === 'native-free' ? 'native-free' : 'native';
const keep = flags['keep'] === true;
/** Keep the load running during the rejoin (as in the nemesis): done when within one block of the leader. */
const underLoad = flags['under-load'] === true;

const cluster = await createCluster({ ...NEMESIS_DEFAULTS, seed: 1, channels, engine, batchTimeoutMs, ratePerSec: rate, faults: ['wipe'] });
/** Raft snapshotIntervalSize of the channels (e.g. "1 MB": the wiped node receives a snapshot and pulls the blocks below it over Deliver). */
const snapshotInterval = flags['snapshot-interval'];
if (typeof snapshotInterval === 'string') {
  for (const file of cluster.channelFiles.values()) {
    const config = parse(fs.readFileSync(file, 'utf8')) as Record<string, Record<string, unknown> | undefined>;
    fs.writeFileSync(file, stringify({ ...config, raft: { ...config['raft'], snapshotIntervalSize: snapshotInterval } }));
  }
}
try {
  cluster.local.startAll();
  await cluster.local.waitHealthy(120_000);
  // One /status per node and poll (as the nemesis polls): two /metrics renderings per poll were ~10% of the rejoining node's main thread.
  const heightsOf = async (node: number): Promise<number[]> => {
    const status = await nodeStatus(address(cluster.local.node(node), 'operations'));
    return cluster.channels.map((c) => (status?.channels.find((view) => view.channel === c)?.height ?? 0) - 1);
  };
  const load = new NemesisLoad(cluster, loadClientCreator(clientMsp(cluster.dir, cluster.manifest)), () => performance.now());
  load.start(rate);
  const leader = (await leaderOf(cluster, cluster.channels[0]!)) ?? 1;
  while (Math.min(...(await heightsOf(leader))) < blocks) await sleep(500);
  if (!underLoad) {
    await load.stop();
    await sleep(2000);
  }
  const node = cluster.ids.find((id) => id !== leader)!;
  await cluster.local.process(node).kill('SIGKILL');
  fs.rmSync(path.join(cluster.dir, cluster.local.node(node).dataDir), { recursive: true, force: true });
  const startedAt = performance.now();
  cluster.local.process(node).start();
  await cluster.local.waitListening(node, 120_000);
  const upAt = performance.now();
  const pid = cluster.local.process(node).pid!;
  const cpuAtUp = threadGroupsCpu(pid);
  let reached: number[] = [];
  let target: number[] = [];
  for (;;) {
    reached = await heightsOf(node);
    target = await heightsOf(leader);
    if (reached.every((h, i) => h >= target[i]! - (underLoad ? 1 : 0))) break;
    if (performance.now() - upAt > 600_000) throw new Error(`node ${node} did not rejoin within 600 s: heights ${reached} of ${target}`);
    await sleep(100);
  }
  const doneAt = performance.now();
  const cpu = cpuSince(cpuAtUp, threadGroupsCpu(pid));
  if (underLoad) await load.stop();
  const total = reached.reduce((a, h) => a + h + 1, 0);
  const seconds = (doneAt - upAt) / 1000;
  const perBlock = (us: number): string => `${(us / total).toFixed(0)} µs`;
  console.log(
    `rejoin of a wiped node ${node} (${engine}), ${channels} channels, ${total} blocks in all (heights ${reached.join(', ')}), ${load.acks.size} envelopes${underLoad ? ', load running' : ''}`,
  );
  console.log(
    `  start-up ${((upAt - startedAt) / 1000).toFixed(1)} s; then ${seconds.toFixed(1)} s to every channel's height: ${(total / seconds).toFixed(0)} blocks/s`,
  );
  console.log(
    `  rejoining process CPU after start-up per block: ${perBlock(totalUs(cpu))} (main ${perBlock(cpu.mainUs)}, pool ${perBlock(cpu.poolUs)}, other ${perBlock(cpu.otherUs)})`,
  );
  console.log(`  ${describeMachine()}`);
} finally {
  await cluster.dispose(keep);
  if (keep) console.log(`cluster kept in ${cluster.dir}`);
}
