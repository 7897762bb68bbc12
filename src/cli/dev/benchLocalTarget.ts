// The harness's local target: a cluster it makes (keygen in a temp dir) and
// starts itself, one process per node, torn down at close; with several
// channels, every node serves each (copies of keygen's channel config under
// other names). Faults of a schedule act on these processes.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { BenchTargetError, channelView, h2SessionSource, loadCreator, type BenchTarget, type Endpoint } from '../../client/index.js';
import type { SignatureAlgorithm } from '../../crypto/index.js';
import { freeNodePorts } from './freePorts.js';
import { keygen } from './keygen.js';
import { address, clientTls } from './layout.js';
import { LocalCluster } from './localCluster.js';
import type { OrdererRuntime } from './ordererRuntime.js';

export interface LocalTargetOptions {
  readonly nodes: number;
  readonly algorithm: SignatureAlgorithm;
  readonly envelopeBytes: number;
  readonly batchTimeoutMs?: number;
  /** Channels every node serves, named benchchannel (one) or benchchannel-1..N. Default 1. */
  readonly channels?: number;
  /** Where the cluster's keys, configs, data and logs go; a fresh temp dir (removed at close) if absent. */
  readonly dir?: string;
  /** Compiled JavaScript or the sources under tsx; default: as this process runs. */
  readonly runtime?: OrdererRuntime;
  /** The nodes' txIdHorizon (node config); the default if absent. */
  readonly txIdHorizon?: number;
}

export async function localTarget(options: LocalTargetOptions): Promise<BenchTarget> {
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'orderer-bench-'));
  const count = options.channels ?? 1;
  const channelIds = count === 1 ? ['benchchannel'] : Array.from({ length: count }, (_, i) => `benchchannel-${i + 1}`);
  const manifest = keygen({
    outDir: dir,
    nodes: options.nodes,
    algorithm: options.algorithm,
    channelId: channelIds[0]!,
    ports: await freeNodePorts(options.nodes),
    engine: 'native',
    tickIntervalMs: 100,
    electionTick: 10,
    ...(options.batchTimeoutMs !== undefined && { batchTimeoutMs: options.batchTimeoutMs }),
  });
  if (count > 1) serveChannels(dir, manifest, channelIds);
  if (options.txIdHorizon !== undefined) editNodeConfigs(dir, manifest, (config) => ({ ...config, txIdHorizon: options.txIdHorizon }));
  const cluster = new LocalCluster(dir, options.runtime && { runtime: options.runtime });
  const target = clusterTarget(cluster, {
    envelopeBytes: options.envelopeBytes,
    description: `local cluster of ${options.nodes} orderer processes (${options.algorithm}, ${cluster.runtime}) on this machine${count > 1 ? `, ${count} channels` : ''}`,
    channelIds,
  });
  const close = async (): Promise<void> => {
    await target.close();
    await cluster.stopAll(10_000);
    if (options.dir === undefined) fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    cluster.startAll();
    await cluster.waitHealthy(120_000);
  } catch (error) {
    await close();
    throw new BenchTargetError(`the local cluster did not start: ${(error as Error).message}`, { cause: error });
  }
  return { ...target, close };
}

/** Writes a channel config per extra channel (keygen's, renamed) and lists them all in every node's config. */
function serveChannels(dir: string, manifest: ReturnType<typeof keygen>, channelIds: readonly string[]): void {
  const templateFile = path.join(dir, manifest.channelConfigFile);
  const template = parse(fs.readFileSync(templateFile, 'utf8')) as Record<string, unknown>;
  const files = channelIds.map((channelId, i) => {
    if (i === 0) return templateFile;
    const file = path.join(path.dirname(templateFile), `${channelId}.yaml`);
    fs.writeFileSync(file, stringify({ ...template, channelId }));
    return file;
  });
  editNodeConfigs(dir, manifest, (config, file) => ({ ...config, channels: files.map((f) => path.relative(path.dirname(file), f)) }));
}

function editNodeConfigs(
  dir: string,
  manifest: ReturnType<typeof keygen>,
  edit: (config: Record<string, unknown>, file: string) => Record<string, unknown>,
): void {
  for (const node of manifest.nodes) {
    const file = path.join(dir, node.configFile);
    fs.writeFileSync(file, stringify(edit(parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>, file)));
  }
}

/**
 * A BenchTarget over a LocalCluster someone else starts and stops (the
 * live view of `npm start` keeps its cluster across runs): its close() only
 * closes the harness's connections.
 */
export function clusterTarget(cluster: LocalCluster, options: { envelopeBytes: number; description: string; channelIds?: readonly string[] }): BenchTarget {
  const { dir, manifest } = cluster;
  const tls = clientTls(dir, manifest);
  const sessions = new Map(cluster.nodes.map((n) => [n.id, h2SessionSource(address(n, 'client'), tls.tlsCaPem, tls.serverNameOverride)]));
  const endpoint = (id: number): Endpoint => ({ label: `node ${id}`, session: sessions.get(id)!, nodeId: id });
  const running = (): number[] => cluster.nodes.filter((n) => cluster.process(n.id).running).map((n) => n.id);
  const mspDir = path.join(dir, manifest.client.mspDir);
  const channelIds = options.channelIds ?? [manifest.channelId];
  /** The node leading `channelId` now (each channel elects its own), per the running nodes' /metrics. */
  const leaderOf = async (channelId: string): Promise<number | undefined> => {
    const ids = running();
    const views = await Promise.all(ids.map((id) => channelView(address(cluster.nodes.find((n) => n.id === id)!, 'operations'), channelId)));
    const leaders = ids.filter((_, i) => views[i]?.isLeader === true);
    return leaders.length === 1 ? leaders[0] : undefined;
  };
  return {
    kind: 'local',
    description: options.description,
    channelId: channelIds[0]!,
    channelIds,
    signer: { mspDir, mspId: manifest.client.mspId, channelId: manifest.channelId, envelopeBytes: options.envelopeBytes },
    creator: loadCreator(mspDir, manifest.client.mspId),
    nodes: cluster.nodes.map((n) => ({
      id: n.id,
      label: `node ${n.id}`,
      operations: address(n, 'operations'),
      pid: () => (cluster.process(n.id).running ? cluster.process(n.id).pid : undefined),
    })),
    cluster,
    sendEndpoints: async (role, channelId) => {
      if (role === 'all') return running().map(endpoint);
      const leader = await leaderOf(channelId);
      if (role === 'leader') return leader === undefined ? [] : [endpoint(leader)];
      return running()
        .filter((id) => id !== leader)
        .map(endpoint);
    },
    deliverEndpoints: () => running().map(endpoint),
    close: async () => {
      for (const session of sessions.values()) session.close();
    },
  };
}
