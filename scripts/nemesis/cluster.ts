// The cluster under test: `orderer keygen` output in a temp dir, rewritten
// so that (1) the consenters' cluster addresses in every channel config are
// TCP proxies (proxy.ts) in front of the nodes' real cluster ports, (2) every
// node serves `channels` channels, (3) each node runs the engine the options
// give it, and (4) Broadcast answers with the acknowledgement the load asks
// for per stream (request header). One NodeProcess per node (LocalCluster).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { address, freeNodePorts, freePorts, keygen, LocalCluster, type ClusterManifest } from '../../src/cli/index.js';
import { channelView, isHealthy } from '../../src/client/index.js';
import { mountDisks, unmountDisks } from './diskFault.js';
import { ClusterProxies } from './proxy.js';
import type { NemesisOptions } from './options.js';

/** Eviction suspicion of the channels when membership changes are in the schedule (default 10 minutes: longer than a fault's health bound). */
const MEMBER_EVICTION_SUSPICION = '3s';

export interface NemesisCluster {
  readonly dir: string;
  readonly manifest: ClusterManifest;
  readonly local: LocalCluster;
  readonly proxies: ClusterProxies;
  readonly channels: readonly string[];
  /** Each channel's config file (absolute; consenters' ports are the proxies): what a membership change edits and restores. */
  readonly channelFiles: ReadonlyMap<string, string>;
  readonly ids: readonly number[];
  dispose(keep: boolean): Promise<void>;
}

export async function createCluster(options: NemesisOptions): Promise<NemesisCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderer-nemesis-'));
  const channels = Array.from({ length: options.channels }, (_, i) => `nemesis-${i}`);
  const ports = await freeNodePorts(options.nodes);
  const manifest = keygen({
    outDir: dir,
    nodes: options.nodes,
    algorithm: options.algorithm,
    channelId: channels[0]!,
    ports,
    engine: 'native',
    tickIntervalMs: options.tickIntervalMs,
    electionTick: options.electionTick,
    batchTimeoutMs: options.batchTimeoutMs,
    maxMessageCount: 100,
  });
  const proxyPorts = await freePorts(options.nodes);
  const proxyOf = new Map(manifest.nodes.map((n, i) => [n.id, proxyPorts[i]!]));
  // A consenter removed and added back while down finds out at its restart only by suspecting
  // its eviction (no leader heard for this long), then re-onboards under its new id.
  const evictionSuspicion = options.faults.includes('member') ? MEMBER_EVICTION_SUSPICION : undefined;
  const channelFiles = writeChannels(dir, manifest.channelConfigFile, channels, proxyOf, evictionSuspicion);
  manifest.nodes.forEach((node, i) => {
    const file = path.join(dir, node.configFile);
    const config = parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    config['channels'] = channelFiles.map((f) => path.relative(path.dirname(file), f));
    config['engine'] = engineOf(options.engine, i);
    config['broadcastAckTimeout'] = `${options.ackTimeoutMs}ms`;
    fs.writeFileSync(file, stringify(config));
  });
  const dataDirs = manifest.nodes.map((n) => path.join(dir, n.dataDir));
  if (options.faults.includes('disk')) mountDisks(dataDirs);
  const local = new LocalCluster(dir);
  const pids = (): Map<number, number> =>
    new Map(manifest.nodes.flatMap((n) => (local.process(n.id).pid === undefined ? [] : [[n.id, local.process(n.id).pid!] as const])));
  const proxies = await ClusterProxies.start(new Map(manifest.nodes.map((n) => [n.id, n.ports.cluster])), proxyOf, pids);
  return {
    dir,
    manifest,
    local,
    proxies,
    channels,
    channelFiles: new Map(channels.map((c, i) => [c, channelFiles[i]!])),
    ids: manifest.nodes.map((n) => n.id),
    async dispose(keep) {
      await local.stopAll(10_000);
      await proxies.close();
      if (options.faults.includes('disk')) unmountDisks(dataDirs, keep);
      if (!keep) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The nodes' engines: all one, or alternating (node 1 native, node 2 native-free, ...). */
function engineOf(engine: NemesisOptions['engine'], index: number): 'native' | 'native-free' {
  if (engine === 'mixed') return index % 2 === 0 ? 'native' : 'native-free';
  return engine;
}

/** One channel config per channel id, consenters' ports pointing at the proxies. Returns their absolute paths. */
function writeChannels(
  dir: string,
  templateFile: string,
  channels: readonly string[],
  proxyOf: ReadonlyMap<number, number>,
  evictionSuspicion: string | undefined,
): string[] {
  const template = parse(fs.readFileSync(path.join(dir, templateFile), 'utf8')) as Record<string, unknown>;
  return channels.map((channelId) => {
    const consenters = (template['consenters'] as Array<Record<string, unknown>>).map((c) => ({ ...c, port: proxyOf.get(c['id'] as number)! }));
    const file = path.join(dir, 'channels', `${channelId}.yaml`);
    const raft = { ...(template['raft'] as Record<string, unknown>), ...(evictionSuspicion === undefined ? {} : { evictionSuspicion }) };
    fs.writeFileSync(file, stringify({ ...template, channelId, consenters, raft }));
    return file;
  });
}

export interface HealthView {
  readonly healthy: boolean;
  /** Per channel: the leader's id (0 if not exactly one) and the committed heights of running nodes. */
  readonly why: string;
}

/** Every running node healthy (a leader for each of its channels) and, per channel, committed block numbers within one. */
export async function clusterHealth(cluster: NemesisCluster): Promise<HealthView> {
  const running = cluster.manifest.nodes.filter((n) => cluster.local.process(n.id).running);
  if (running.length < cluster.ids.length) return { healthy: false, why: `${cluster.ids.length - running.length} node(s) down` };
  const healthy = await Promise.all(running.map((n) => isHealthy(address(n, 'operations'))));
  const sick = running.filter((_, i) => !healthy[i]).map((n) => n.id);
  if (sick.length > 0) return { healthy: false, why: `node(s) ${sick.join(',')} report no leader` };
  for (const channel of cluster.channels) {
    const views = await Promise.all(running.map((n) => channelView(address(n, 'operations'), channel)));
    if (views.some((v) => v === undefined)) return { healthy: false, why: `${channel}: a node does not answer` };
    const heights = views.map((v) => v!.committedBlockNumber);
    if (Math.max(...heights) - Math.min(...heights) > 1) return { healthy: false, why: `${channel}: heights ${heights.join(',')}` };
    if (views.filter((v) => v!.isLeader).length !== 1) return { healthy: false, why: `${channel}: not exactly one leader` };
  }
  return { healthy: true, why: '' };
}

/** Every running node's committed block number of every channel, as one comparable string ('' if a node does not answer). */
export async function committedHeights(cluster: NemesisCluster): Promise<string> {
  const running = cluster.manifest.nodes.filter((n) => cluster.local.process(n.id).running);
  const parts: string[] = [];
  for (const channel of cluster.channels) {
    const views = await Promise.all(running.map((n) => channelView(address(n, 'operations'), channel)));
    if (views.some((v) => v === undefined)) return '';
    parts.push(`${channel}:${views.map((v) => v!.committedBlockNumber).join(',')}`);
  }
  return parts.join(' ');
}

/**
 * Whether `node` considers itself the leader of `channel` (its own metrics). During a
 * leadership change the others may not agree yet, so leaderOf() may see no single leader
 * while this node already took envelopes as leader.
 */
export async function leadsItself(cluster: NemesisCluster, node: number, channel: string): Promise<boolean> {
  if (!cluster.local.process(node).running) return false;
  return (await channelView(address(cluster.local.node(node), 'operations'), channel))?.isLeader === true;
}

/** The node leading `channel` now, per the running nodes' metrics (undefined if not exactly one). */
export async function leaderOf(cluster: NemesisCluster, channel: string): Promise<number | undefined> {
  const running = cluster.manifest.nodes.filter((n) => cluster.local.process(n.id).running);
  const views = await Promise.all(running.map((n) => channelView(address(n, 'operations'), channel)));
  const leaders = running.filter((_, i) => views[i]?.isLeader === true);
  return leaders.length === 1 ? leaders[0]!.id : undefined;
}
