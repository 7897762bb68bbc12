// A 3-node (or N-node) channel in one process for chain tests: real storage
// (one WalEnvironment per node in its own temp dir), the in-memory transport,
// a manual clock, and in-thread compute (or the real worker pool). Time moves
// only through tick(): each tick advances the clock one tick interval and then
// lets the network and the disks settle, so tests count ticks, never time.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import {
  createGenesisBlock,
  createSignedEnvelope,
  decodeBlock,
  encodeBlock,
  encodeSerializedIdentity,
  HeaderType,
  readEnvelopeFields,
  type EnvelopeCreator,
  type OrdererIdentity,
} from '../../src/block/index.js';
import { Chain, InThreadCompute, PoolCompute, type ChainCompute, type ChainOptions } from '../../src/chain/index.js';
import type { SnapshotCatchUp } from '../../src/catchup/index.js';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { openWalEnvironment, type DurableRaftStorage, type WalEnvironment } from '../../src/storage/index.js';
import type { WorkerPool } from '../../src/workers/index.js';
import { TickedCluster, TICK_MS } from './tickedCluster.js';
import { MemoryNetwork, type MemoryTransport } from './memoryTransport.js';
import { seededRandom } from '../../src/raft/index.js';

export const CHANNEL = 'chain-test';
export { TICK_MS };

interface NodeBase {
  readonly id: number;
  readonly dir: string;
  readonly registry: Registry;
  readonly identity: OrdererIdentity;
  readonly signerPem: string;
}

export interface Node extends NodeBase {
  env: WalEnvironment;
  chain: Chain;
  transport: MemoryTransport;
}

export interface ClusterSettings {
  readonly size?: number;
  readonly options?: Partial<ChainOptions>;
  /** Use the real worker pool through PoolCompute instead of InThreadCompute. */
  readonly pool?: WorkerPool;
  readonly engine?: 'native' | 'native-free';
  /** A GM channel: SM2 signatures and SM3 block hashes (default: P-256 and SHA-256). */
  readonly gm?: boolean;
  /** The snapshot catch-up hook a node gets (none by default). */
  readonly catchUp?: (id: number) => SnapshotCatchUp | undefined;
}

const logger = pino({ level: process.env.CHAIN_TEST_LOG ?? 'silent' });

export class TestCluster extends TickedCluster {
  readonly network = new MemoryNetwork();
  readonly nodes = new Map<number, Node>();
  readonly org: DevOrganization;
  readonly client: EnvelopeCreator;
  readonly genesis: Uint8Array;
  readonly #root: string;
  readonly #size: number;
  #txSeq = 0;

  constructor(readonly settings: ClusterSettings = {}) {
    super();
    this.#size = settings.size ?? 3;
    this.#root = fs.mkdtempSync(path.join(os.tmpdir(), 'chain-test-'));
    const provider = createCryptoProvider('native');
    this.org = new DevOrganization({ mspId: 'Org1MSP', algorithm: this.signatureAlgorithm, provider });
    const member = this.org.issueMember('client1');
    this.client = { signer: member.signer, serializedIdentity: encodeSerializedIdentity({ mspid: member.mspId, idBytes: member.idBytes }) };
    const config = createSignedEnvelope({ type: HeaderType.CONFIG, channelId: CHANNEL, data: new TextEncoder().encode('genesis config') });
    this.genesis = encodeBlock(createGenesisBlock(provider.hasher(this.hashAlgorithm), config));
  }

  get hashAlgorithm(): 'sha256' | 'sm3' {
    return this.settings.gm === true ? 'sm3' : 'sha256';
  }

  get signatureAlgorithm(): 'ecdsa-p256' | 'sm2' {
    return this.settings.gm === true ? 'sm2' : 'ecdsa-p256';
  }

  get ids(): number[] {
    return Array.from({ length: this.#size }, (_, i) => i + 1);
  }

  options(id: number): ChainOptions {
    return {
      channelId: CHANNEL,
      selfId: id,
      consenters: this.ids,
      tickIntervalMs: TICK_MS,
      electionTick: 10,
      heartbeatTick: 1,
      batchTimeoutMs: 5 * TICK_MS,
      batchSize: { maxMessageCount: 10, absoluteMaxBytes: 1024 * 1024, preferredMaxBytes: 512 * 1024 },
      hashAlgorithm: this.hashAlgorithm,
      signatureAlgorithm: this.signatureAlgorithm,
      engine: this.settings.engine ?? 'native',
      organizations: [this.org.config],
      genesisBlock: this.genesis,
      ...this.settings.options,
    };
  }

  /** Opens every node's storage and starts its chain. */
  async start(): Promise<void> {
    for (const id of this.ids) {
      const dir = path.join(this.#root, `node${id}`);
      const member = this.org.issueMember(`orderer${id}`);
      const identity = { signer: member.signer, serializedIdentity: encodeSerializedIdentity({ mspid: member.mspId, idBytes: member.idBytes }) };
      const base = { id, dir, identity, signerPem: member.signer.exportPrivateKeyPem(), registry: new Registry() };
      this.nodes.set(id, { ...base, ...(await this.#open(base)) });
    }
  }

  async #open(node: NodeBase): Promise<Pick<Node, 'env' | 'transport' | 'chain'>> {
    const env = openWalEnvironment({
      dir: node.dir,
      engine: this.settings.engine ?? 'native',
      logger,
      syncHook: () => this.#diskGates.get(node.id) ?? Promise.resolve(),
    });
    const transport = this.network.transport(node.id);
    const storage = env.channel(CHANNEL);
    this.#countPersists(node.id, storage.raft);
    const chain = new Chain(this.options(node.id), {
      storage,
      transport,
      compute: this.#compute(node),
      logger,
      metrics: node.registry,
      clock: this.clock,
      // Replayable: the draws the scenarios were written against.
      random: seededRandom(node.id * 2654435761),
      ...(this.settings.catchUp?.(node.id) === undefined ? {} : { catchUp: this.settings.catchUp(node.id)! }),
    });
    try {
      await chain.start();
    } catch (err) {
      await transport.close();
      await env.close();
      throw err;
    }
    return { env, transport, chain };
  }

  /** Nodes whose disk is stalled: every sync waits for the gate to open. */
  readonly #diskGates = new Map<number, Promise<void>>();
  readonly #openGates = new Map<number, () => void>();

  /** Stalls node `id`'s disk: its syncs (and so its Ready loop) wait until resumeDisk. */
  stallDisk(id: number): void {
    this.#diskGates.set(id, new Promise<void>((resolve) => this.#openGates.set(id, resolve)));
  }

  resumeDisk(id: number): void {
    this.#diskGates.delete(id);
    this.#openGates.get(id)?.();
    this.#openGates.delete(id);
  }

  /** Most Readies a node had being persisted at once (the Ready loop allows one). */
  readonly peakPersists = new Map<number, number>();

  #countPersists(id: number, raft: DurableRaftStorage): void {
    const persist = raft.persistReady.bind(raft);
    let inFlight = 0;
    raft.persistReady = (ready) => {
      inFlight++;
      this.peakPersists.set(id, Math.max(this.peakPersists.get(id) ?? 0, inFlight));
      return persist(ready).finally(() => inFlight--);
    };
  }

  /** Most blocks a node had in signing at once. */
  readonly peakSigning = new Map<number, number>();
  /** Blocks each node signed (to write) since its chain was last started. */
  readonly signedBlocks = new Map<number, number>();
  /** Per node, the number of blocks of each signing call (one compute call per batch). */
  readonly signingCalls = new Map<number, number[]>();

  #compute(node: NodeBase): ChainCompute {
    this.signedBlocks.set(node.id, 0);
    this.signingCalls.set(node.id, []);
    const inner = this.#innerCompute(node);
    let signing = 0;
    return {
      verifyBatch: (context, envelopes) => inner.verifyBatch(context, envelopes),
      blockEntry: (engine, algorithm, start, envelopes, txIds) => inner.blockEntry(engine, algorithm, start, envelopes, txIds),
      signBlocks: (blocks) => {
        this.signedBlocks.set(node.id, this.signedBlocks.get(node.id)! + blocks.length);
        this.signingCalls.set(node.id, [...(this.signingCalls.get(node.id) ?? []), blocks.length]);
        signing += blocks.length;
        this.peakSigning.set(node.id, Math.max(this.peakSigning.get(node.id) ?? 0, signing));
        const signed = inner.signBlocks(blocks);
        void signed.finally(() => {
          signing -= blocks.length;
        });
        return signed;
      },
      ordererIdentity: () => inner.ordererIdentity(),
    };
  }

  #innerCompute(node: NodeBase): ChainCompute {
    if (this.settings.pool === undefined) return new InThreadCompute(node.identity);
    return new PoolCompute(this.settings.pool, {
      engine: 'native',
      algorithm: this.signatureAlgorithm,
      privateKeyPem: node.signerPem,
      serializedIdentity: node.identity.serializedIdentity,
    });
  }

  node(id: number): Node {
    return this.nodes.get(id)!;
  }

  chain(id: number): Chain {
    return this.node(id).chain;
  }

  /** Closes a node's chain, transport and storage (a clean stop). */
  async stop(id: number): Promise<void> {
    const node = this.node(id);
    await node.chain.close();
    await node.transport.close();
    await node.env.close();
  }

  /** Reopens a stopped node from its storage. */
  async restart(id: number): Promise<void> {
    const node = this.node(id);
    Object.assign(node, await this.#open(node));
  }

  /** Lets messages, verifications and syncs in flight finish (bounded rounds). */
  override async settle(rounds = 6): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      const settled = [...this.nodes.values()].filter((n) => n.transport.open && !this.#diskGates.has(n.id));
      await Promise.all(settled.map((n) => n.env.whenIdle()));
    }
  }

  /** The serving leader, if exactly one node leads and serves (others may not know it yet). */
  leaderId(): number {
    const running = [...this.nodes.values()].filter((n) => n.transport.open);
    const leaders = running.filter((n) => n.chain.status().isLeader && n.chain.stats().serving);
    return leaders.length === 1 ? leaders[0]!.id : 0;
  }

  /** The serving leader, once every running, connected node knows it (0 before). */
  agreedLeaderId(): number {
    const leader = this.leaderId();
    if (leader === 0) return 0;
    const running = [...this.nodes.values()].filter((n) => n.transport.open && this.network.connected(n.id, leader));
    return running.every((n) => n.chain.status().leaderId === leader) ? leader : 0;
  }

  /** Ticks until a leader serves and every node it can reach knows it. */
  async waitForLeader(maxTicks = 60): Promise<number> {
    await this.tickUntil(() => this.agreedLeaderId() !== 0, maxTicks, 'a serving leader every node knows');
    return this.agreedLeaderId();
  }

  /** A fresh, signed ENDORSER_TRANSACTION envelope with a unique tx id. */
  envelope(sizeBytes = 200): { bytes: Uint8Array; txId: string } {
    const txId = `tx-${++this.#txSeq}`;
    const bytes = createSignedEnvelope({
      type: HeaderType.ENDORSER_TRANSACTION,
      channelId: CHANNEL,
      data: new Uint8Array(sizeBytes).fill(this.#txSeq & 0xff),
      creator: this.client,
      txId,
    });
    return { bytes, txId };
  }

  /** Transaction ids of node `id`'s ledger, blocks 1.. in order. */
  txIds(id: number): string[] {
    const chain = this.chain(id);
    const out: string[] = [];
    for (let n = 1; n < chain.height(); n++) {
      for (const env of decodeBlock(chain.block(n)).data) out.push(txIdOf(env));
    }
    return out;
  }

  async close(): Promise<void> {
    for (const node of this.nodes.values()) {
      if (!node.transport.open) continue;
      await node.chain.close();
      await node.transport.close();
      await node.env.close();
    }
    fs.rmSync(this.#root, { recursive: true, force: true });
  }
}

function txIdOf(envelope: Uint8Array): string {
  return readEnvelopeFields(envelope).txId;
}
