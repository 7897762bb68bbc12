// The harness's local target: a cluster it makes (keygen in a temp dir) and
// starts itself, one process per node, torn down at close. Faults of a
// schedule act on these processes.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BenchTargetError, connectBench, loadCreator, type BenchTarget, type Endpoint } from '../../client/index.js';
import type { SignatureAlgorithm } from '../../crypto/index.js';
import { freeNodePorts } from './freePorts.js';
import { keygen } from './keygen.js';
import { address, clientTls } from './layout.js';
import { LocalCluster } from './localCluster.js';

export interface LocalTargetOptions {
  readonly nodes: number;
  readonly algorithm: SignatureAlgorithm;
  readonly envelopeBytes: number;
  readonly batchTimeoutMs?: number;
  /** Where the cluster's keys, configs, data and logs go; a fresh temp dir (removed at close) if absent. */
  readonly dir?: string;
}

export async function localTarget(options: LocalTargetOptions): Promise<BenchTarget> {
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'orderer-bench-'));
  keygen({
    outDir: dir,
    nodes: options.nodes,
    algorithm: options.algorithm,
    channelId: 'benchchannel',
    ports: await freeNodePorts(options.nodes),
    engine: 'native',
    tickIntervalMs: 100,
    electionTick: 10,
    ...(options.batchTimeoutMs !== undefined && { batchTimeoutMs: options.batchTimeoutMs }),
  });
  const cluster = new LocalCluster(dir);
  const target = clusterTarget(cluster, {
    envelopeBytes: options.envelopeBytes,
    description: `local cluster of ${options.nodes} orderer processes (${options.algorithm}) on this machine`,
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

/**
 * A BenchTarget over a LocalCluster someone else starts and stops (the
 * live view of `npm start` keeps its cluster across runs): its close() only
 * closes the harness's connections.
 */
export function clusterTarget(cluster: LocalCluster, options: { envelopeBytes: number; description: string }): BenchTarget {
  const { dir, manifest } = cluster;
  const tls = clientTls(dir, manifest);
  const clients = new Map(cluster.nodes.map((n) => [n.id, connectBench(address(n, 'client'), tls.tlsCaPem, tls.serverNameOverride)]));
  const endpoint = (id: number): Endpoint => ({ label: `node ${id}`, client: clients.get(id)!, nodeId: id });
  const running = (): number[] => cluster.nodes.filter((n) => cluster.process(n.id).running).map((n) => n.id);
  const mspDir = path.join(dir, manifest.client.mspDir);
  return {
    kind: 'local',
    description: options.description,
    channelId: manifest.channelId,
    signer: { mspDir, mspId: manifest.client.mspId, channelId: manifest.channelId, envelopeBytes: options.envelopeBytes },
    creator: loadCreator(mspDir, manifest.client.mspId),
    nodes: cluster.nodes.map((n) => ({
      id: n.id,
      label: `node ${n.id}`,
      operations: address(n, 'operations'),
      pid: () => (cluster.process(n.id).running ? cluster.process(n.id).pid : undefined),
    })),
    cluster,
    sendEndpoints: async (role) => {
      if (role === 'all') return running().map(endpoint);
      const leader = await cluster.leader();
      if (role === 'leader') return leader === undefined ? [] : [endpoint(leader)];
      return running()
        .filter((id) => id !== leader)
        .map(endpoint);
    },
    deliverEndpoints: () => running().map(endpoint),
    close: async () => {
      for (const client of clients.values()) client.close();
    },
  };
}
