// Chains of one channel whose block 0 holds a real etcdraft config (the
// configtx test channel: an orderer org with a NodeOUs admin OU, an
// application org), for config-update and membership tests: nodes can be
// started later (a consenter joining from block 0), stopped, and config
// updates are CONFIG_UPDATE envelopes built with configtx's buildConfigUpdateEnvelope as our tooling does.
// Same rules as harness.ts: a manual clock, the in-memory transport, real storage.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import {
  createSignedEnvelope,
  decodeBlock,
  encodeBlock,
  encodeSerializedIdentity,
  HeaderType,
  isConfigBlock,
  readBlockSignatures,
  readEnvelopeFields,
  type EnvelopeCreator,
  organizationConfigsOf,
} from '../../src/block/index.js';
import { buildConfigUpdateEnvelope, buildGenesisBlock, currentConfigOf, type ChannelConfigInput, type CurrentConfig } from '../../src/block/configtx/index.js';
import { Chain, InThreadCompute, PoolCompute, type ChainCompute, type ChainOptions } from '../../src/chain/index.js';
import type { SnapshotCatchUp } from '../../src/catchup/index.js';
import type { ClusterPeer } from '../../src/cluster/types.js';
import type { DevOrganization } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { ledgerBlockFromFabric } from '../../src/storage/fabricBlock.js';
import { openWalEnvironment, type BlockLedger, type WalEnvironment } from '../../src/storage/index.js';
import type { WorkerPool } from '../../src/workers/index.js';
import { makeTestChannel, type TestChannel } from '../block/configtx/helpers.js';
import { TickedCluster, TICK_MS } from './tickedCluster.js';
import { MemoryNetwork, type MemoryTransport } from './memoryTransport.js';
import { seededRandom } from '../../src/raft/index.js';

export const CHANNEL = 'config-test';
export { TICK_MS };

export interface ConfigNode {
  readonly id: number;
  readonly dir: string;
  readonly registry: Registry;
  env: WalEnvironment;
  chain: Chain;
  transport: MemoryTransport;
  /** Every updatePeers call the chain made on its transport. */
  readonly peerUpdates: ClusterPeer[][];
}

const logger = pino({ level: process.env.CHAIN_TEST_LOG ?? 'silent' });

function creatorOf(org: DevOrganization, name: string, ou?: string): EnvelopeCreator {
  const member = org.issueMember(name, ou === undefined ? {} : { organizationalUnit: ou });
  return { signer: member.signer, serializedIdentity: encodeSerializedIdentity({ mspid: member.mspId, idBytes: member.idBytes }) };
}

export class ConfigCluster extends TickedCluster {
  readonly network = new MemoryNetwork();
  readonly nodes = new Map<number, ConfigNode>();
  readonly channel: TestChannel;
  /** The genesis config values (consenters 1..n get Raft ids 1..n). */
  readonly genesisValues: ChannelConfigInput;
  readonly genesis: Uint8Array;
  /** An orderer-org admin (NodeOUs admin OU): may submit config updates. */
  readonly admin: EnvelopeCreator;
  /** An application-org member: submits transactions, is no admin. */
  readonly client: EnvelopeCreator;
  /** The application org's (listed) admin: needed for changes under /Channel/Application. */
  readonly appAdmin: EnvelopeCreator;
  readonly #root = fs.mkdtempSync(path.join(os.tmpdir(), 'config-test-'));
  #txSeq = 0;

  /** `pool`: verify, hash and sign in the real worker pool (PoolCompute) instead of in the test's thread. */
  constructor(
    size = 3,
    readonly pool?: WorkerPool,
  ) {
    super();
    this.channel = makeTestChannel('ecdsa-p256', CHANNEL);
    const consenters = Array.from({ length: size }, (_, i) => this.channel.consenter(i + 1));
    this.genesisValues = {
      ...this.channel.values,
      consenters,
      batchSize: { maxMessageCount: 10, absoluteMaxBytes: 1024 * 1024, preferredMaxBytes: 512 * 1024 },
      batchTimeoutMs: 5 * TICK_MS,
      raftOptions: { ...this.channel.values.raftOptions!, tickIntervalMs: TICK_MS },
    };
    this.genesis = encodeBlock(buildGenesisBlock(this.genesisValues, createCryptoProvider('native').hasher('sha256')));
    this.admin = creatorOf(this.channel.ordererOrg, 'Admin2@orderer', 'admin');
    this.client = creatorOf(this.channel.appOrg, 'client1');
    const appAdmin = this.channel.appAdmin;
    this.appAdmin = { signer: appAdmin.signer, serializedIdentity: encodeSerializedIdentity({ mspid: appAdmin.mspId, idBytes: appAdmin.idBytes }) };
  }

  options(id: number, consenters: readonly number[]): ChainOptions {
    return {
      channelId: CHANNEL,
      selfId: id,
      consenters,
      tickIntervalMs: TICK_MS,
      electionTick: 10,
      heartbeatTick: 1,
      batchTimeoutMs: this.genesisValues.batchTimeoutMs,
      batchSize: this.genesisValues.batchSize,
      hashAlgorithm: 'sha256',
      signatureAlgorithm: 'ecdsa-p256',
      engine: 'native',
      organizations: organizationConfigsOf({ ...this.genesisValues, signatureAlgorithm: 'ecdsa-p256' }),
      genesisBlock: this.genesis,
    };
  }

  /**
   * Starts node `id` with its storage (new or kept); `consenters`: the voters it starts with on an empty log.
   * `as.storageOf`: the storage directory of another node id (a node re-onboarded under a new id keeps its blocks);
   * `as.options`: chain options over the cluster's.
   */
  async startNode(id: number, consenters: readonly number[], as: { storageOf?: number; options?: Partial<ChainOptions> } = {}): Promise<void> {
    const dir = path.join(this.#root, `node${as.storageOf ?? id}`);
    const existing = this.nodes.get(id);
    const env = openWalEnvironment({ dir, engine: 'native', logger });
    const transport = this.network.transport(id);
    const peerUpdates = existing?.peerUpdates ?? [];
    transport.updatePeers = (peers) => void peerUpdates.push([...peers]);
    const member = this.channel.ordererOrg.issueMember(`orderer${id}-signer`);
    const identity = { signer: member.signer, serializedIdentity: encodeSerializedIdentity({ mspid: member.mspId, idBytes: member.idBytes }) };
    const compute: ChainCompute =
      this.pool === undefined
        ? new InThreadCompute(identity)
        : new PoolCompute(this.pool, {
            engine: 'native',
            algorithm: 'ecdsa-p256',
            privateKeyPem: member.signer.exportPrivateKeyPem(),
            serializedIdentity: identity.serializedIdentity,
          });
    const registry = existing?.registry ?? new Registry();
    const storage = env.channel(CHANNEL);
    const chain = new Chain(
      { ...this.options(id, consenters), ...as.options },
      {
        storage,
        transport,
        compute,
        logger,
        metrics: registry,
        clock: this.clock,
        // Replayable: the draws the scenarios were written against.
        random: seededRandom(id * 2654435761),
        catchUp: this.#catchUp(id, storage.ledger),
      },
    );
    await chain.start();
    this.nodes.set(id, { id, dir, registry, env, chain, transport, peerUpdates });
  }

  /** Stands in for the block puller: copies the missing blocks from a running node that has them (as they were written there). */
  #catchUp(id: number, ledger: BlockLedger): SnapshotCatchUp {
    const sha256 = createCryptoProvider('native').hasher('sha256');
    return {
      pullBlocks: async (from, target) => {
        const donor = this.running().find((n) => n.id !== id && n.chain.height() > target.header.number);
        if (donor === undefined) throw new Error(`node ${id}: no running node has block ${target.header.number} yet`);
        for (let n = from; n <= target.header.number; n++) {
          const bytes = new Uint8Array(donor.chain.block(n));
          await ledger.append(ledgerBlockFromFabric(bytes, sha256, readBlockSignatures(decodeBlock(bytes)).etcdraft!.raftIndex));
        }
      },
    };
  }

  async start(ids: readonly number[]): Promise<void> {
    for (const id of ids) await this.startNode(id, ids);
  }

  chain(id: number): Chain {
    return this.nodes.get(id)!.chain;
  }

  running(): ConfigNode[] {
    return [...this.nodes.values()].filter((n) => n.transport.open);
  }

  async stop(id: number): Promise<void> {
    const node = this.nodes.get(id)!;
    await node.chain.close();
    await node.transport.close();
    await node.env.close();
  }

  override async settle(rounds = 6): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      // Pool threads answer in real time (verification, signing): pace the manual clock so a loaded machine keeps up.
      if (this.pool !== undefined) await new Promise((resolve) => setTimeout(resolve, 2));
      await Promise.all(this.running().map((n) => n.env.whenIdle()));
    }
  }

  /** The one running node that leads and serves, or 0. */
  leaderId(): number {
    const leaders = this.running().filter((n) => n.chain.status().isLeader && n.chain.stats().serving);
    return leaders.length === 1 ? leaders[0]!.id : 0;
  }

  async waitForLeader(maxTicks = 80): Promise<number> {
    await this.tickUntil(
      () =>
        this.leaderId() !== 0 && this.running().every((n) => n.chain.status().leaderId === this.leaderId() || !this.network.connected(n.id, this.leaderId())),
      maxTicks,
      'a serving leader',
    );
    return this.leaderId();
  }

  envelope(): { bytes: Uint8Array; txId: string } {
    const txId = `tx-${++this.#txSeq}`;
    const bytes = createSignedEnvelope({
      type: HeaderType.ENDORSER_TRANSACTION,
      channelId: CHANNEL,
      data: new Uint8Array(100).fill(this.#txSeq & 0xff),
      creator: this.client,
      txId,
    });
    return { bytes, txId };
  }

  /** The config of node `id`'s last config block. */
  currentConfig(id: number): CurrentConfig {
    const chain = this.chain(id);
    for (let n = chain.height() - 1; n >= 0; n--) {
      const block = decodeBlock(chain.block(n));
      if (isConfigBlock(block)) return currentConfigOf(block);
    }
    throw new Error(`node ${id} has no config block`);
  }

  /** A CONFIG_UPDATE envelope moving node `id`'s current config by `change`, signed by `by` (the orderer org's admin: enough for /Channel/Orderer/Admins). */
  configUpdate(
    id: number,
    change: (values: ChannelConfigInput) => ChannelConfigInput,
    by: EnvelopeCreator | readonly EnvelopeCreator[] = this.admin,
  ): Uint8Array {
    const current = this.currentConfig(id);
    return buildConfigUpdateEnvelope(current, change(current.values), by);
  }

  /** Transaction ids of node `id`'s ledger (config transactions have none), blocks 1.. in order. */
  txIds(id: number): string[] {
    const chain = this.chain(id);
    const out: string[] = [];
    for (let n = 1; n < chain.height(); n++) {
      const block = decodeBlock(chain.block(n));
      if (isConfigBlock(block)) continue;
      for (const env of block.data) out.push(readEnvelopeFields(env).txId);
    }
    return out;
  }

  /** Header hashes' inputs of node `id`'s blocks: number, previous hash and data hash, hex. */
  headers(id: number): string[] {
    const chain = this.chain(id);
    const out: string[] = [];
    for (let n = 0; n < chain.height(); n++) {
      const { header } = decodeBlock(chain.block(n));
      out.push(`${header.number}:${Buffer.from(header.previousHash).toString('hex')}:${Buffer.from(header.dataHash).toString('hex')}`);
    }
    return out;
  }

  async close(): Promise<void> {
    for (const node of this.running()) {
      await node.chain.close();
      await node.transport.close();
      await node.env.close();
    }
    fs.rmSync(this.#root, { recursive: true, force: true });
  }
}
