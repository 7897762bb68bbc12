// Shared set-up of the e2e tests: a real local cluster (keygen + one child
// process per node) on free loopback ports in a temp dir, a short Raft tick,
// clients with the generated identities, and block checks.

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { decodeBlock, decodeSerializedIdentity, readBlockSignatures, type Block, type EnvelopeCreator } from '../../src/block/index.js';
import { connectAtomicBroadcast, deliver } from '../../src/client/abClient.js';
import { loadClientCreator } from '../../src/client/envelopePool.js';
import { keygen, type KeygenOptions } from '../../src/cli/dev/keygen.js';
import { clientMsp, address, clientTls } from '../../src/cli/dev/layout.js';
import { ephemeralPortRange, freeNodePorts, freePorts } from '../../src/cli/dev/freePorts.js';
import { LocalCluster, type LocalClusterOptions } from '../../src/cli/dev/localCluster.js';
import { E2E_RUNTIME } from './ordererRuntime.js';

/** Raft timing of the e2e clusters: election timeout 100 ms x 10 = 1 s. */
export const TICK_INTERVAL_MS = 100;
export const ELECTION_TICK = 10;
export const ELECTION_TIMEOUT_MS = TICK_INTERVAL_MS * ELECTION_TICK;

/** Free loopback ports (src/cli/dev/freePorts.ts), here beside the other e2e helpers. */
export { freePorts };

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A base port B for keygen's layout (B+i client, B+100+i cluster, B+200+i operations) whose ports are all free now. */
export async function freeBasePort(nodes: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Below the ephemeral range, as freePorts: no outgoing connection takes these meanwhile.
    const base = 10_000 + Math.floor(Math.random() * ((ephemeralPortRange()?.[0] ?? 60_000) - 10_300 - nodes));
    const ports = [0, 100, 200].flatMap((offset) => Array.from({ length: nodes }, (_, i) => base + offset + i));
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base;
  }
  throw new Error('no free base port found in 50 attempts');
}

export interface E2eCluster {
  readonly dir: string;
  readonly cluster: LocalCluster;
  readonly creator: EnvelopeCreator;
  readonly channelId: string;
  client(nodeId: number): grpc.Client;
  /** Stops every node, closes clients, removes the temp dir. */
  dispose(): Promise<void>;
}

/** Generates a cluster in a fresh temp dir and starts it; resolves once every node is healthy. */
export async function startE2eCluster(overrides: Partial<KeygenOptions> = {}, options: LocalClusterOptions = {}): Promise<E2eCluster> {
  const nodes = overrides.nodes ?? 3;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderer-e2e-'));
  const nodePorts = await freeNodePorts(nodes);
  const manifest = keygen({
    outDir: dir,
    nodes,
    algorithm: 'ecdsa-p256',
    channelId: 'e2e-channel',
    ports: nodePorts,
    engine: 'native',
    tickIntervalMs: TICK_INTERVAL_MS,
    electionTick: ELECTION_TICK,
    batchTimeoutMs: 100,
    maxMessageCount: 50,
    ...overrides,
  });
  const cluster = new LocalCluster(dir, { runtime: E2E_RUNTIME, ...options });
  const clients = new Map<number, grpc.Client>();
  const e2e: E2eCluster = {
    dir,
    cluster,
    creator: loadClientCreator(clientMsp(dir, manifest)),
    channelId: manifest.channelId,
    client(nodeId) {
      let client = clients.get(nodeId);
      if (client === undefined) {
        client = connectAtomicBroadcast(address(cluster.node(nodeId), 'client'), clientTls(dir, manifest));
        clients.set(nodeId, client);
      }
      return client;
    },
    async dispose() {
      for (const client of clients.values()) client.close();
      await cluster.stopAll(10_000);
      // E2E_KEEP=1 keeps keys, ledgers and node logs for a post-mortem.
      if (process.env['E2E_KEEP'] === '1') console.log(`e2e cluster kept in ${dir}`);
      else fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    cluster.startAll();
    await cluster.waitHealthy(60_000);
  } catch (error) {
    await e2e.dispose();
    throw error;
  }
  return e2e;
}

/** Blocks [0, stopNumber] of the channel as node `nodeId` serves them. */
export async function blocksFrom(e2e: E2eCluster, nodeId: number, stopNumber: number): Promise<Block[]> {
  const outcome = await deliver(e2e.client(nodeId), {
    channelId: e2e.channelId,
    creator: e2e.creator,
    start: { type: 'oldest' },
    stop: { type: 'specified', number: stopNumber },
  });
  return outcome.blocks;
}

/** The PEM certificates that signed blocks 1.. (orderer signatures in the SIGNATURES metadata). */
export function blockSignerCerts(blocks: readonly Block[]): Set<string> {
  const signers = new Set<string>();
  for (const block of blocks.slice(1)) {
    for (const signed of readBlockSignatures(block).signedData) signers.add(new TextDecoder().decode(decodeSerializedIdentity(signed.creator).idBytes));
  }
  return signers;
}

/** Node `id`'s signing certificate as keygen wrote it. */
export function nodeSignCert(e2e: E2eCluster, id: number): string {
  return fs.readFileSync(path.join(e2e.dir, `nodes/node${id}/msp/signcerts/cert.pem`), 'utf8');
}

export { decodeBlock };
export { hashChainFault, headersOf, ledgerFailures, txIdsOf } from '../../bench/lib/ledgerChecks.js';
