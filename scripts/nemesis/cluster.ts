// The cluster under test: `orderer keygen` output in a temp dir, rewritten
// so that (1) the consenters' cluster addresses in every channel config are
// TCP proxies (proxy.ts) in front of the nodes' real cluster ports, (2) every
// node serves `channels` channels, (3) each node runs the engine the options
// give it, and (4) Broadcast answers with the acknowledgement the load asks
// for per stream (request header). One NodeProcess per node (LocalCluster).
// Health and leadership as the nemesis reads them: health.ts.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { freeNodePorts, freePorts, keygen, LocalCluster, type ClusterManifest } from '../../src/cli/index.js';
import { compileDist } from '../build/compile.js';
import { ConsenterIds } from './consenterIds.js';
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
  /** Which node each Raft id names on each channel (the membership fault renumbers). */
  readonly consenterIds: ConsenterIds;
  dispose(keep: boolean): Promise<void>;
}

export async function createCluster(options: NemesisOptions): Promise<NemesisCluster> {
  // Built before anything is made or mounted: a failed build leaves no directory or mount behind.
  if (options.orderers === 'compiled') await compileDist();
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
  const withDisks = options.faults.includes('disk');
  if (withDisks) mountDisks(dataDirs);
  const local = new LocalCluster(dir, { runtime: options.orderers });
  const pids = (): Map<number, number> =>
    new Map(manifest.nodes.flatMap((n) => (local.process(n.id).pid === undefined ? [] : [[n.id, local.process(n.id).pid!] as const])));
  let proxies: ClusterProxies;
  try {
    proxies = await ClusterProxies.start(new Map(manifest.nodes.map((n) => [n.id, n.ports.cluster])), proxyOf, pids);
  } catch (err) {
    if (withDisks) unmountDisks(dataDirs);
    throw err;
  }
  return {
    dir,
    manifest,
    local,
    proxies,
    channels,
    channelFiles: new Map(channels.map((c, i) => [c, channelFiles[i]!])),
    ids: manifest.nodes.map((n) => n.id),
    consenterIds: new ConsenterIds(
      channels,
      manifest.nodes.map((n) => n.id),
    ),
    async dispose(keep) {
      await local.stopAll(10_000);
      await proxies.close();
      if (withDisks) unmountDisks(dataDirs, keep);
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
