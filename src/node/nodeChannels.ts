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
import type { ChannelStorage, WalEnvironment } from '../storage/index.js';
import type { EvictedVerdict, MemberVerdict, ReaddedVerdict } from '../chain/index.js';
import { joinPlanOfBlock } from './joinPlan.js';
import { takeRaftId } from './reonboarding.js';
import { channelStart, storedPlan } from './storedPlan.js';
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
  /** The ids of re-added channels the transport answers to, counted per channel running under them. */
  readonly #localIds: LocalRaftIds;
  /** Set by closeAll: a re-onboarding in progress starts no chain after it. */
  #closing = false;

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
        plan = storedPlan(this.#deps.storage.channel(id), this.#deps, this.#log);
      } catch (error) {
        // One channel this node can no longer serve (its TLS key or id changed) must not keep the others down.
        if (!(error instanceof OrdererError)) throw error;
        this.#log.error({ channel: id, err: error }, 'joined channel in storage cannot be served by this node: not started');
        continue;
      }
      await this.#startChain(plan, 'joined');
    }
  }

  async closeAll(): Promise<void> {
    this.#closing = true;
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

  /** Starts a channel's chain under the Raft id it runs as (channelRaftId: a re-onboarding's record first). */
  async #startChain(given: ChannelPlan, source: ChannelSource): Promise<void> {
    const id = given.chain.channelId;
    assert(!this.#served.has(id), `channel ${id} started twice`);
    const storage = this.#deps.storage.channel(id);
    const { selfId, plan, ahead } = channelStart(given, storage, this.#deps, this.#log);
    // The transport answers to the channel's id for this node before anyone can address it.
    this.#localIds.take(selfId);
    // Peers first: the chain's first messages go to them. Ahead of its ledger, the config blocks the chain applies on the
    // way to that block are older: their consenters must not replace the ones it runs with (the leader may be one they do
    // not list). The block was verified when the re-onboarding took it from eviction suspicion's verdict.
    if (ahead === undefined) this.#peerSets.set(id, plan.consenters, selfId);
    else this.#peerSets.setAhead(id, plan.consenters, selfId, ahead.header.number, () => storage.ledger.height > ahead.header.number);
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
   * kept) and record the new id, then start it again at once under the new id
   * from the re-adding config block's consenters: Raft's snapshot and the block
   * puller bring the ledger from its kept end to the leader's.
   */
  async #reonboard(id: string, served: Served, verdict: ReaddedVerdict): Promise<void> {
    if (this.#busy.has(id)) return;
    this.#busy.add(id);
    this.#served.delete(id);
    try {
      await served.chain.close();
      this.#peerSets.delete(id);
      this.#releaseRaftId(served.raftId);
      if (this.#closing) return;
      const { dropped, kept } = await takeRaftId(this.#deps.storage, id, verdict);
      const state = dropped ? 'its Raft state was dropped' : `its Raft state was already that of consenter ${verdict.newId}, kept`;
      this.#log.warn(
        { channel: id, configBlock: verdict.configBlock, raftId: verdict.newId, formerRaftId: served.raftId, blocksKept: kept, dropped },
        `re-onboarding channel "${id}": this node was removed and added back while away, as consenter ${verdict.newId} (config block ${verdict.configBlock}); ${state}, its ${kept} blocks kept; joining as consenter ${verdict.newId} now, catching up from block ${kept}`,
      );
      // The node stops: the recorded id is what the next start runs the channel as.
      if (this.#closing) return;
      await this.#startChain(served.plan, served.source);
      this.#log.info(
        { channel: id, raftId: verdict.newId, height: this.#deps.storage.channel(id).ledger.height },
        `channel "${id}" re-onboarded as consenter ${verdict.newId}: catching up from the leader`,
      );
    } catch (error) {
      // Not served until the next start (which runs the recorded id, or suspects eviction again); the log says why.
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
