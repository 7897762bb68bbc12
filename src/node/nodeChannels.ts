// The channels of one running node: one Chain per channel over the node's
// shared storage environment, worker pool and cluster transport. Channels come
// from the node config (files), from storage at start-up (channels joined
// earlier: their config is read back from their stored block 0), and at run
// time from the participation API (join a genesis block, remove).

import assert from 'node:assert/strict';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { Chain as ChainType, ChainDeps, ChannelRegistry, ChannelSupport } from '../chain/index.js';
import type { SnapshotCatchUp } from '../catchup/index.js';
import { Chain } from '../chain/index.js';
import type { GrpcClusterTransport } from '../cluster/index.js';
import type { Engine } from '../crypto/index.js';
import { OrdererError } from '../errors.js';
import { ChannelExistsError, ChannelNotFoundError, type ChannelInfo, type ChannelParticipation } from '../server/index.js';
import { decodeBlock, readBlockSignatures } from '../block/index.js';
import type { BlockLedger, ChannelStorage, WalEnvironment } from '../storage/index.js';
import type { EvictedVerdict, MemberVerdict, ReaddedVerdict } from '../chain/index.js';
import { joinPlanOfBlock } from './joinPlan.js';
import { dropRaftStateKeepingBlocks, pullThroughConfigBlock, reonboardingPlan, storedRaftId, withNodeSettingsOf } from './reonboarding.js';
import type { ChannelPlan } from './channelPlan.js';
import { ChannelPeerSets } from './channelTransport.js';
import { RemovedChannels } from './removedChannels.js';
import { vouchVerifiedConsenters } from './vouchedPeers.js';
import { LocalRaftIds } from './localRaftIds.js';

export type ChannelSource = 'config' | 'joined';

interface Served {
  readonly chain: ChainType;
  readonly plan: ChannelPlan;
  readonly source: ChannelSource;
  /** The Raft id this node runs the channel as: the node's, or the one a re-adding config gave it. */
  readonly raftId: number;
  /** Set when eviction suspicion found this node removed: the config block that removed it (the chain stopped serving). */
  evictedBy?: number;
}

export interface NodeChannelsDeps {
  readonly nodeId: number;
  readonly engine: Engine;
  /** This node's cluster TLS certificate: how a config block names it among the consenters. */
  readonly tlsCertPem: string;
  readonly storage: WalEnvironment;
  readonly transport: GrpcClusterTransport;
  /** The chain deps every channel shares (storage and the transport view are per channel, added here). */
  readonly chainDeps: Omit<ChainDeps, 'storage' | 'transport'>;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** Where removed channels are remembered across restarts (in the data directory). */
  readonly removedChannelsFile: string;
  /**
   * The block puller of a channel (Deliver from the other orderers) behind
   * ChainDeps.catchUp, if the node wires one; called once per started chain.
   */
  readonly catchUpFor?: (plan: ChannelPlan, storage: ChannelStorage) => SnapshotCatchUp | undefined;
}

export class NodeChannels implements ChannelRegistry {
  readonly participation: ChannelParticipation;
  readonly #deps: NodeChannelsDeps;
  readonly #log: Logger;
  /** Invariant: a channel id is in at most one of #served and #busy. */
  readonly #served = new Map<string, Served>();
  /** Channels being joined or removed right now: a second request for one of them is refused (409). */
  readonly #busy = new Set<string>();
  readonly #removed: RemovedChannels;
  readonly #channelsGauge: Gauge;
  readonly #peerSets: ChannelPeerSets;
  /** Block pullers of re-onboardings in progress: closed (their pulls abort) when the node stops. */
  readonly #pulling = new Set<SnapshotCatchUp>();
  /** The ids of re-added channels the transport answers to, counted per channel running under them. */
  readonly #localIds: LocalRaftIds;

  constructor(deps: NodeChannelsDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'channels' });
    this.#removed = new RemovedChannels(deps.removedChannelsFile);
    this.#peerSets = new ChannelPeerSets(deps.transport, this.#log);
    this.#localIds = new LocalRaftIds(deps.nodeId, deps.transport);
    this.#channelsGauge = new Gauge({ name: 'orderer_channels', help: 'Channels this node serves.', registers: [deps.metrics] });
    this.participation = {
      list: () => [...this.#served.keys()].map((name) => this.#info(name)!),
      info: (name) => this.#info(name),
      join: (block, genesis) => this.#join(block, genesis),
      remove: (name) => this.#remove(name),
    };
  }

  get(channelId: string): ChannelSupport | undefined {
    return this.#served.get(channelId)?.chain;
  }

  list(): readonly ChainType[] {
    return [...this.#served.values()].map((s) => s.chain);
  }

  /**
   * Finishes removals a crash interrupted (their data is deleted), then starts
   * the configured channels, then the joined ones found in storage.
   */
  async startAll(configured: readonly ChannelPlan[]): Promise<void> {
    for (const id of this.#removed.names()) {
      this.#log.warn({ channel: id }, 'channel removal was interrupted: deleting its data now');
      await this.#dropData(id);
    }
    for (const plan of configured) await this.#startChain(plan, 'config');
    for (const id of this.#deps.storage.storedChannels()) {
      if (this.#served.has(id)) continue;
      const ledger = this.#deps.storage.channel(id).ledger;
      if (ledger.height === 0) {
        this.#log.warn({ channel: id }, 'channel in storage without a genesis block: not served');
        continue;
      }
      let plan: ChannelPlan;
      try {
        plan = this.#storedPlan(ledger);
      } catch (error) {
        // One channel this node can no longer serve (its TLS key or id changed) must not keep the others down.
        if (!(error instanceof OrdererError)) throw error;
        this.#log.error({ channel: id, err: error }, 'joined channel in storage cannot be served by this node: not started');
        continue;
      }
      await this.#startChain(plan, 'joined');
    }
  }

  /**
   * A joined channel's plan from its ledger: the config of its latest config
   * block (the LAST_CONFIG index of its last block), with block 0 as genesis.
   */
  #storedPlan(ledger: BlockLedger): ChannelPlan {
    // Under the id its latest config gives this node (another than the node's once re-onboarded).
    const self = { nodeId: storedRaftId(ledger, this.#deps), tlsCertPem: this.#deps.tlsCertPem };
    const genesis = ledger.block(0).bytes;
    const lastConfig = readBlockSignatures(decodeBlock(ledger.block(ledger.height - 1).bytes)).lastConfigIndex ?? 0;
    if (lastConfig === 0 || lastConfig >= ledger.height) return joinPlanOfBlock(genesis, self).plan;
    return joinPlanOfBlock(ledger.block(lastConfig).bytes, self, genesis).plan;
  }

  async closeAll(): Promise<void> {
    for (const puller of this.#pulling) puller.close?.();
    await Promise.all([...this.#served.values()].map((s) => s.chain.close()));
  }

  async #join(blockBytes: Uint8Array, genesisBytes: Uint8Array | undefined): Promise<ChannelInfo> {
    const { plan } = joinPlanOfBlock(blockBytes, { nodeId: this.#deps.nodeId, tlsCertPem: this.#deps.tlsCertPem }, genesisBytes);
    const id = plan.chain.channelId;
    if (this.#served.has(id) || this.#busy.has(id)) throw new ChannelExistsError(id);
    if (this.#deps.storage.storedChannels().includes(id)) {
      // Data this node does not serve (its chain could not start): joining would resume that ledger, not this block.
      throw new ChannelExistsError(id, "its data is in this node's storage but the channel is not served (see the start-up log)");
    }
    this.#busy.add(id);
    try {
      await this.#startChain(plan, 'joined');
    } finally {
      this.#busy.delete(id);
    }
    this.#log.info({ channel: id, consenters: plan.chain.consenters }, 'channel joined');
    return this.#info(id)!;
  }

  async #remove(id: string): Promise<void> {
    const served = this.#served.get(id);
    if (served === undefined) throw new ChannelNotFoundError(id);
    this.#busy.add(id);
    this.#served.delete(id);
    try {
      // Remembered first: a crash before the data is gone must not bring the channel back at restart (startAll finishes the removal).
      this.#removed.add(id);
      await served.chain.close();
      this.#forgetMetrics(id);
      this.#peerSets.delete(id);
      this.#releaseRaftId(served.raftId);
      this.#channelsGauge.set(this.#served.size);
      await this.#dropData(id);
    } finally {
      this.#busy.delete(id);
    }
    this.#log.warn({ channel: id, source: served.source }, 'channel removed from this node, its data deleted');
    if (served.source === 'config') {
      // The node config is the operator's explicit list: it wins at the next start.
      this.#log.warn(
        { channel: id },
        'the removed channel is listed in the node config: it is served again at the next start, from its genesis block (catching up from the other orderers), unless taken out of the config',
      );
    }
  }

  /** Deletes a removed channel's Raft state and ledger (its chain stopped), then forgets the removal. */
  async #dropData(id: string): Promise<void> {
    await this.#deps.storage.releaseChannel(id);
    await this.#deps.storage.dropChannel(id, { keepLedger: false });
    this.#removed.delete(id);
  }

  /** `raftId`: the id to run the channel as; default what its stored config gives this node (storedRaftId). */
  async #startChain(given: ChannelPlan, source: ChannelSource, raftId?: number): Promise<void> {
    const id = given.chain.channelId;
    assert(!this.#served.has(id), `channel ${id} started twice`);
    const storage = this.#deps.storage.channel(id);
    const selfId = raftId ?? storedRaftId(storage.ledger, this.#deps);
    // A configured channel whose ledger holds a config update (consenters added, removed, re-added under a new id; this node
    // re-onboarded under another id): its ledger's latest config wins over the file's consenters. With the file's, a restarted
    // node refused streams from a consenter added since ("not a configured consenter") and never heard its leader again.
    const updated = storage.ledger.height > 0 && storage.ledger.lastConfig > 0;
    const plan = given.chain.consenters.includes(selfId) && !updated ? given : withNodeSettingsOf(given, this.#storedPlan(storage.ledger));
    // The transport answers to the channel's id for this node before anyone can address it.
    this.#localIds.take(selfId);
    // Peers first: the chain's first messages go to them.
    this.#peerSets.set(id, plan.consenters, selfId);
    const catchUp = this.#deps.catchUpFor?.(plan, storage);
    const eviction = {
      selfTlsCertPem: this.#deps.tlsCertPem,
      onVerdict: (verdict: EvictedVerdict | ReaddedVerdict) => this.#onEvictionVerdict(id, verdict),
      onMember: (verdict: MemberVerdict) => vouchVerifiedConsenters(this.#peerSets, id, verdict, () => storage.ledger.height, this.#log),
    };
    const chain = new Chain(
      { ...plan.chain, selfId, engine: this.#deps.engine },
      { ...this.#deps.chainDeps, transport: this.#peerSets.viewFor(id, selfId), storage, eviction, ...(catchUp && { catchUp }) },
    );
    try {
      await chain.start();
    } catch (error) {
      await chain.close();
      this.#peerSets.delete(id);
      this.#releaseRaftId(selfId);
      throw error;
    }
    this.#served.set(id, { chain, plan, source, raftId: selfId });
    // The transport warmed the links of the node's own id at its start; those of a channel's own id are warmed now.
    if (selfId !== this.#deps.nodeId)
      this.#deps.transport.connectAs(
        selfId,
        plan.consenters.map((c) => c.id),
      );
    this.#channelsGauge.set(this.#served.size);
  }

  /** The transport stops answering to a channel's own Raft id once no channel here runs as it. */
  #releaseRaftId(raftId: number): void {
    this.#localIds.release(raftId);
  }

  /** Eviction suspicion's verdict on a channel (its chain already stopped serving it). */
  #onEvictionVerdict(id: string, verdict: EvictedVerdict | ReaddedVerdict): void {
    const served = this.#served.get(id);
    if (served === undefined) return;
    if (verdict.kind === 'evicted') served.evictedBy = verdict.configBlock;
    else void this.#reonboard(id, served, verdict);
  }

  /**
   * The channel removed this node and added it back while it was away, under
   * a new Raft id (reonboarding.ts): stop the chain, drop its Raft state (blocks
   * kept), pull the blocks up to the re-adding config block, and start it
   * again under the new id, joining from that config block.
   */
  async #reonboard(id: string, served: Served, verdict: ReaddedVerdict): Promise<void> {
    if (this.#busy.has(id)) return;
    this.#busy.add(id);
    this.#served.delete(id);
    try {
      await served.chain.close();
      this.#peerSets.delete(id);
      this.#releaseRaftId(served.raftId);
      const kept = await dropRaftStateKeepingBlocks(this.#deps.storage, id);
      this.#log.warn(
        { channel: id, configBlock: verdict.configBlock, raftId: verdict.newId, formerRaftId: served.raftId, blocksKept: kept },
        `re-onboarding channel "${id}": this node was removed and added back while away, as consenter ${verdict.newId} (config block ${verdict.configBlock}); its Raft state was dropped, its ${kept} blocks kept; pulling the blocks up to config block ${verdict.configBlock}, then joining as consenter ${verdict.newId}`,
      );
      const storage = this.#deps.storage.channel(id);
      const plan = reonboardingPlan(verdict, storage.ledger.block(0).bytes, this.#deps, served.plan);
      const puller = this.#deps.catchUpFor?.(plan, storage);
      if (puller !== undefined) {
        this.#pulling.add(puller);
        try {
          await pullThroughConfigBlock(puller, storage.ledger, verdict);
        } finally {
          this.#pulling.delete(puller);
          puller.close?.();
        }
      }
      await this.#startChain(plan, served.source, verdict.newId);
      this.#log.info(
        { channel: id, raftId: verdict.newId, height: storage.ledger.height },
        `channel "${id}" re-onboarded as consenter ${verdict.newId}: catching up from the leader`,
      );
    } catch (error) {
      // Not served until the next start (which suspects eviction again); the log says why.
      if (!(error instanceof OrdererError)) throw error;
      this.#log.error({ channel: id, err: error }, `re-onboarding channel "${id}" failed: the channel is not served until the node restarts`);
    } finally {
      this.#busy.delete(id);
    }
  }

  #info(name: string): ChannelInfo | undefined {
    const served = this.#served.get(name);
    if (served === undefined) return undefined;
    // Removed by config while away: as Fabric's inactive chain (status inactive, relation config-tracker).
    if (served.evictedBy !== undefined) return { name, status: 'inactive', consensusRelation: 'config-tracker', height: served.chain.height() };
    // The chain exposes no halted flag yet: a served channel is reported active (Fabric's status for a consenter).
    return { name, status: 'active', consensusRelation: 'consenter', height: served.chain.height() };
  }

  /** A removed channel's labelled samples leave /metrics with it. */
  #forgetMetrics(channelId: string): void {
    for (const metric of this.#deps.metrics.getMetricsAsArray()) {
      const labelled = metric as unknown as { labelNames?: readonly string[]; remove?: (labels: Record<string, string>) => void };
      if (labelled.labelNames?.includes('channel') && typeof labelled.remove === 'function') labelled.remove({ channel: channelId });
    }
  }
}
