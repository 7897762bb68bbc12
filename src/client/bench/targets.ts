// What the harness points at. A local cluster it makes (keygen in a temp
// dir) and starts itself, or running AtomicBroadcast endpoints — this
// orderer's or a Fabric orderer's — given only what a Fabric client has: the
// endpoints, the TLS CA, the channel and an MSP directory to sign with.

import * as grpc from '@grpc/grpc-js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SignatureAlgorithm } from '../../crypto/types.js';
import { freeNodePorts } from '../../cli/freePorts.js';
import { keygen } from '../../cli/keygen.js';
import { address, clientTls } from '../../cli/layout.js';
import { LocalCluster } from '../../cli/localCluster.js';
import { connectBench } from './benchClient.js';
import { BenchConfigError, BenchTargetError } from './errors.js';
import { loadCreator, type SignerSpec } from './signing.js';
import type { EnvelopeCreator } from '../../block/index.js';

/** Which nodes receive the Broadcast load. */
export type TargetRole = 'leader' | 'followers' | 'all';

export interface Endpoint {
  readonly label: string;
  readonly client: grpc.Client;
  /** Local clusters: the node id. */
  readonly nodeId?: number;
}

export interface ObservedNode {
  readonly id: number;
  readonly label: string;
  /** host:port of /metrics, when known. */
  readonly operations: string | undefined;
  /** The process id, for a local node that is running. */
  pid(): number | undefined;
}

export interface BenchTarget {
  readonly kind: 'local' | 'external';
  readonly description: string;
  readonly channelId: string;
  readonly signer: SignerSpec;
  readonly creator: EnvelopeCreator;
  readonly nodes: readonly ObservedNode[];
  /** The endpoints the load goes to now (the leader may have changed). */
  sendEndpoints(role: TargetRole): Promise<Endpoint[]>;
  /** Endpoints to follow blocks from, preferred first. */
  deliverEndpoints(): Endpoint[];
  /** The local cluster, for faults; undefined for external targets. */
  readonly cluster: LocalCluster | undefined;
  close(): Promise<void>;
}

const CONNECT_TIMEOUT_MS = 5000;

/** Resolves when the channel to `address` is ready; BenchTargetError naming it otherwise. */
async function checkReachable(label: string, client: grpc.Client): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    client.waitForReady(Date.now() + CONNECT_TIMEOUT_MS, (error) =>
      error ? reject(new BenchTargetError(`endpoint ${label} is unreachable: no connection within ${CONNECT_TIMEOUT_MS} ms (${error.message})`)) : resolve(),
    ),
  );
}

export interface ExternalTargetOptions {
  readonly endpoints: readonly string[];
  /** PEM file of the TLS CA; plaintext when absent. */
  readonly tlsCaFile?: string;
  readonly serverNameOverride?: string;
  readonly channelId: string;
  readonly mspDir: string;
  readonly mspId: string;
  readonly envelopeBytes: number;
  /** host:port of each endpoint's operations listener (same order), for /metrics. */
  readonly operations?: readonly string[];
}

export async function externalTarget(options: ExternalTargetOptions): Promise<BenchTarget> {
  if (options.endpoints.length === 0) throw new BenchConfigError('at least one endpoint is needed');
  if (!fs.existsSync(options.mspDir)) throw new BenchConfigError(`MSP directory ${options.mspDir} does not exist`);
  const creator = loadCreator(options.mspDir, options.mspId);
  let tlsCaPem: string | undefined;
  if (options.tlsCaFile !== undefined) {
    try {
      tlsCaPem = fs.readFileSync(options.tlsCaFile, 'utf8');
    } catch (error) {
      throw new BenchConfigError(`TLS CA file ${options.tlsCaFile}: ${(error as Error).message}`, { cause: error });
    }
  }
  const endpoints: Endpoint[] = options.endpoints.map((label) => ({
    label,
    client: connectBench(label, tlsCaPem, options.serverNameOverride),
  }));
  try {
    await Promise.all(endpoints.map((e) => checkReachable(e.label, e.client)));
  } catch (error) {
    for (const e of endpoints) e.client.close();
    throw error;
  }
  const nodes: ObservedNode[] = endpoints.map((e, i) => ({ id: i + 1, label: e.label, operations: options.operations?.[i], pid: () => undefined }));
  return {
    kind: 'external',
    description: `external endpoints ${options.endpoints.join(', ')}`,
    channelId: options.channelId,
    signer: { mspDir: options.mspDir, mspId: options.mspId, channelId: options.channelId, envelopeBytes: options.envelopeBytes },
    creator,
    nodes,
    cluster: undefined,
    // Leadership of an external orderer is unknown here: the load goes to every endpoint given.
    sendEndpoints: async () => endpoints,
    deliverEndpoints: () => endpoints,
    close: async () => {
      for (const e of endpoints) e.client.close();
    },
  };
}

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
  const manifest = keygen({
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
  const tls = clientTls(dir, manifest);
  const clients = new Map(cluster.nodes.map((n) => [n.id, connectBench(address(n, 'client'), tls.tlsCaPem, tls.serverNameOverride)]));
  const endpoint = (id: number): Endpoint => ({ label: `node ${id}`, client: clients.get(id)!, nodeId: id });
  const close = async (): Promise<void> => {
    for (const client of clients.values()) client.close();
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
  const mspDir = path.join(dir, manifest.client.mspDir);
  return {
    kind: 'local',
    description: `local cluster of ${options.nodes} orderer processes (${options.algorithm}) on this machine`,
    channelId: manifest.channelId,
    signer: { mspDir, mspId: manifest.client.mspId, channelId: manifest.channelId, envelopeBytes: options.envelopeBytes },
    creator: loadCreator(mspDir, manifest.client.mspId),
    nodes: cluster.nodes.map((n) => ({ id: n.id, label: `node ${n.id}`, operations: address(n, 'operations'), pid: () => (cluster.process(n.id).running ? cluster.process(n.id).pid : undefined) })),
    cluster,
    sendEndpoints: async (role) => {
      const running = cluster.nodes.filter((n) => cluster.process(n.id).running).map((n) => n.id);
      if (role === 'all') return running.map(endpoint);
      const leader = await cluster.leader();
      if (role === 'leader') return leader === undefined ? [] : [endpoint(leader)];
      return running.filter((id) => id !== leader).map(endpoint);
    },
    deliverEndpoints: () => {
      const running = cluster.nodes.filter((n) => cluster.process(n.id).running).map((n) => n.id);
      return running.map(endpoint);
    },
    close,
  };
}
