// The chain's side of config transactions and membership (Fabric's etcdraft
// chain.go writeConfigBlock / apply / proposeConfChange): turns a client's
// CONFIG_UPDATE into the CONFIG envelope this node signs (configProcessor.ts),
// re-checks CONFIG envelopes on the leader, applies each committed config block on every node
// (batch size and timeout, organizations, snapshot interval, consenter ids in
// the block metadata, transport peers), and on the leader brings the Raft
// membership to the config's consenters one ConfChange at a time — resumed by
// any new leader, since it is derived from the last config block and the
// applied ConfState. A leader the config removes hands leadership over first,
// and so does a leader whose own TLS certificate the config rotates (the
// peers keep its old certificate pinned meanwhile: rotationHandoff.ts); a
// node the config removes stops serving the channel.

import assert from 'node:assert/strict';
import type { Logger } from 'pino';
import type { Block, EnvelopeCreator } from '../../block/index.js';
import { organizationConfigsOf, type ConfigUpdatePolicies } from '../../block/index.js';
import type { ClusterPeer, ClusterTransport } from '../../cluster/index.js';
import type { OrganizationConfig } from '../../crypto/index.js';
import type { Engine } from '../../crypto/index.js';
import { ConfChangeType, ProposalDroppedError, StateType, type RawNode } from '../../raft/index.js';
import type { ConsenterMetadata } from '../order/blockApplier.js';
import { nextConfigState, type ChannelConfigState } from './channelConfig.js';
import { checkConfigEnvelope, policiesOf, processConfigUpdate, type ConfigCheckContext } from './configProcessor.js';
import { ServiceUnavailableError } from '../errors.js';
import type { OrderedEnvelope } from '../order/leaderPipeline.js';
import { pendingConfChange, rotatedConsenterOf, transfereeOf } from './membership.js';
import type { ChainMetrics } from '../metrics.js';
import { RotationHandoff } from './rotationHandoff.js';

export interface ConfigControlHost {
  readonly channelId: string;
  readonly selfId: number;
  readonly engine: Engine;
  /** This node's orderer identity: signs the CONFIG envelopes it creates. */
  ordererIdentity(): EnvelopeCreator;
  readonly log: Logger;
  readonly metrics: ChainMetrics;
  readonly transport: ClusterTransport;
  raft(): RawNode;
  /** This node leads and its pipeline serves (it applied its whole log). */
  servingLeader(): boolean;
  /** The committed config changed runtime values: apply them. */
  applyBatch(values: ChannelConfigState['values']): void;
  applySnapshotInterval(bytes: number): void;
  applyMaxInflightBlocks?(max: number): void;
  applyOrganizations(organizations: readonly OrganizationConfig[]): void;
  /**
   * This leader's pipeline holds envelopes not yet in a committed block
   * (waiting, accepted, cut or proposed). A leader the config removes orders
   * them before it hands leadership over: once removed, the peers refuse its
   * forwards, so envelopes it held for the next leader would be lost.
   */
  holdsUncommitted?(): boolean;
  /** A voter was added: snapshot at the applied index, so the snapshot a joining node may be sent lists it. */
  snapshotNow?(appliedIndex: number): void;
  /** Something was proposed or stepped: run the Ready loop. */
  kick(): void;
  /** The chain's election timeout in ticks (default 10): bounds the leader handoff of a certificate rotation. */
  readonly electionTicks?: number;
  /**
   * The ledger's durable last config block number, and its config state:
   * config blocks can reach the ledger without being applied here (pulled by
   * catch-up after a snapshot), and the chain then reads the config from them.
   */
  ledgerLastConfig?(): number;
  loadLedgerConfig?(): ChannelConfigState | undefined;
}

export class ConfigControl {
  #state: ChannelConfigState;
  /** The ConfChange (or leadership transfer) already asked for, as "kind:id:term": not asked twice in a term. */
  #requested = '';
  #lastVoters = '';
  /**
   * Why this node does not serve the channel, or undefined while the
   * committed config lists it: removed by a config block, or (a node joining
   * from block 0) not yet added by the blocks it has.
   */
  #notServing: string | undefined;
  /** #notServing says this node was removed (logged once). */
  #removedNoticed = false;
  /**
   * Consenters the committed config removed that are still Raft voters: they
   * stay transport peers until the ConfChange removing them is applied. Raft
   * keeps sending to a voter (the removal entry itself must be replicated
   * with it counted), and sending to a consenter that is not a transport peer
   * is a programmer error there. Invariant: no id here is in the config's
   * consenter ids.
   */
  readonly #leaving = new Map<number, ClusterPeer>();
  /** A rotation of the leader's own certificate: its handoff, and the old certificate pinned meanwhile. */
  readonly #rotation: RotationHandoff;
  /** The policies of #state, built on first use. */
  #policies: { readonly state: ChannelConfigState; readonly value: ConfigUpdatePolicies } | undefined;

  constructor(
    state: ChannelConfigState,
    private readonly host: ConfigControlHost,
  ) {
    this.#state = state;
    this.#rotation = new RotationHandoff({
      channelId: host.channelId,
      selfId: host.selfId,
      log: host.log,
      electionTicks: host.electionTicks ?? 10,
      raft: () => host.raft(),
      isReachable: (id) => host.transport.isReachable(id),
      holdsUncommitted: () => host.holdsUncommitted?.() === true,
      kick: () => host.kick(),
    });
    if (state.ids.consenterIds.includes(host.selfId)) return;
    if (this.#wasAdded(state)) {
      this.#removedNoticed = true;
      this.#notServing = `this node was removed from channel "${host.channelId}" (not a consenter as of its config block ${state.blockNumber})`;
      host.log.warn(`${this.#notServing}: it does not serve the channel`);
    } else {
      this.#notServing = `this node is not a consenter of channel "${host.channelId}" as of its config block ${state.blockNumber}`;
      host.log.info(`${this.#notServing}: it serves the channel once a config block it receives adds it`);
    }
  }

  /**
   * This node's id was given out by `state` or a config before it (ids are
   * never reused: every id below next_consenter_id was a consenter once), so
   * not being listed means removed — not "not added yet", as for a node that
   * joined from block 0 and has not reached the block adding it.
   */
  #wasAdded(state: ChannelConfigState): boolean {
    return this.host.selfId < state.ids.nextConsenterId;
  }

  get state(): ChannelConfigState {
    return this.#state;
  }

  /** The committed config does not list this node: it does not serve the channel (nor tick, unless leading). */
  get removed(): boolean {
    return this.#notServing !== undefined;
  }

  /** Why this node does not serve the channel, or refuses new envelopes for a moment (undefined when it serves). */
  get notServingReason(): string | undefined {
    return this.#notServing ?? this.#rotation.refusalReason;
  }

  /** Every tick, with the leader known now (0: none): moves a certificate rotation's leader handoff on. */
  onTick(leaderId: number): void {
    if (this.#rotation.onTick(leaderId)) this.host.transport.updatePeers(this.#peers());
  }

  /** At start: the last config block's runtime values win over the options (config updates since genesis). */
  applyAtStart(): void {
    const values = this.#state.values;
    this.host.applyBatch(values);
    if (values.raftOptions !== undefined) {
      this.host.applySnapshotInterval(values.raftOptions.snapshotIntervalSizeBytes);
      this.host.applyMaxInflightBlocks?.(values.raftOptions.maxInflightBlocks);
    }
    this.host.applyOrganizations(organizationConfigsOf(values));
  }

  /** A client's CONFIG_UPDATE: the CONFIG envelope to order, signed by this node. Throws BadRequestError / ForbiddenError with the reason. */
  processUpdate(updateEnvelope: Uint8Array): Uint8Array {
    return processConfigUpdate(updateEnvelope, this.#checkContext(), this.host.ordererIdentity()).envelope;
  }

  /** Check of a CONFIG envelope an orderer produced (forwarded, or about to be cut); throws BadRequestError / ForbiddenError naming the rule. */
  check(envelope: Uint8Array): void {
    checkConfigEnvelope(envelope, this.#checkContext());
  }

  #checkContext(): ConfigCheckContext {
    if (this.#notServing !== undefined) throw new ServiceUnavailableError(this.#notServing);
    const status = this.host.raft().status();
    const leading = status.softState.raftState === StateType.Leader;
    if (this.#policies?.state !== this.#state) this.#policies = { state: this.#state, value: policiesOf(this.#state, this.host.engine) };
    return {
      state: this.#state,
      policies: this.#policies.value,
      engine: this.host.engine,
      selfId: this.host.selfId,
      quorum: leading ? { voters: status.config.voters, isReachable: (id) => this.host.transport.isReachable(id) } : undefined,
      now: new Date(),
    };
  }

  /** Re-check of an accepted CONFIG envelope right before it is cut: false if a config committed since made it stale. */
  admit(envelope: OrderedEnvelope): boolean {
    try {
      this.check(envelope.bytes);
      return true;
    } catch (err) {
      this.host.log.warn({ err: (err as Error).message }, 'accepted config envelope dropped before cutting: no longer valid');
      return false;
    }
  }

  /** BlockApplier's hook: every committed block, in order, before it is signed. */
  metadataFor(block: Block, isConfig: boolean): ConsenterMetadata {
    this.#refreshFromLedger();
    if (isConfig) this.#apply(block);
    return this.#state.ids;
  }

  #apply(block: Block): void {
    let next: ChannelConfigState;
    try {
      next = nextConfigState(this.#state, block);
    } catch (err) {
      // The leader validated it; a block this node cannot read keeps the previous config here.
      this.host.log.error(
        { err, block: block.header.number },
        `committed config block ${block.header.number} is unreadable; keeping the config of block ${this.#state.blockNumber}`,
      );
      return;
    }
    this.#adopt(next);
  }

  /** BlockApplier's hook: pulled blocks are written; their newest config is this node's (it may say this node was removed). */
  afterCatchUp(): void {
    this.#refreshFromLedger();
  }

  /** Config blocks pulled into the ledger by catch-up (never applied here): adopt the newest one's config. */
  #refreshFromLedger(): void {
    const number = this.host.ledgerLastConfig?.();
    if (number === undefined || number <= this.#state.blockNumber) return;
    const state = this.host.loadLedgerConfig?.();
    if (state === undefined || state.blockNumber <= this.#state.blockNumber) return;
    this.host.log.info({ block: state.blockNumber }, `config of block ${state.blockNumber} read from the ledger (blocks pulled by catch-up)`);
    this.#adopt(state);
  }

  #adopt(next: ChannelConfigState): void {
    const rotated = rotatedConsenterOf(this.#state, next);
    const before = this.#state.values;
    const after = next.values;
    const peersBefore = this.#configPeers();
    // The same consenters under other Raft ids (a config read from the ledger past a removal and re-addition) are other peers too.
    const idsChanged = JSON.stringify(this.#state.ids.consenterIds) !== JSON.stringify(next.ids.consenterIds);
    this.#state = next;
    if (JSON.stringify(before.batchSize) !== JSON.stringify(after.batchSize) || before.batchTimeoutMs !== after.batchTimeoutMs) this.host.applyBatch(after);
    if (after.raftOptions !== undefined && before.raftOptions?.snapshotIntervalSizeBytes !== after.raftOptions.snapshotIntervalSizeBytes) {
      this.host.applySnapshotInterval(after.raftOptions.snapshotIntervalSizeBytes);
    }
    if (after.raftOptions !== undefined && before.raftOptions?.maxInflightBlocks !== after.raftOptions.maxInflightBlocks) {
      this.host.applyMaxInflightBlocks?.(after.raftOptions.maxInflightBlocks);
    }
    if (JSON.stringify(before.organizations) !== JSON.stringify(after.organizations)) this.host.applyOrganizations(organizationConfigsOf(after));
    if (idsChanged || JSON.stringify(before.consenters) !== JSON.stringify(after.consenters)) {
      const voters = new Set(this.host.raft().status().config.voters);
      for (const peer of peersBefore) {
        if (!next.ids.consenterIds.includes(peer.id) && voters.has(peer.id)) this.#leaving.set(peer.id, peer);
      }
      // Before updatePeers: a rotated leader's old certificate stays pinned until it handed over.
      if (rotated !== undefined)
        this.#rotation.onRotation(
          rotated,
          peersBefore.find((p) => p.id === rotated),
          next.blockNumber,
        );
      this.host.transport.updatePeers(this.#peers());
    }
    this.host.log.info(
      { block: next.blockNumber, sequence: after.sequence, consenterIds: next.ids.consenterIds },
      `config block ${next.blockNumber} applied (sequence ${after.sequence})`,
    );
    const member = next.ids.consenterIds.includes(this.host.selfId);
    if (member && this.#notServing !== undefined) {
      this.#notServing = undefined;
      this.#removedNoticed = false;
      this.host.log.info(`this node was added to channel "${this.host.channelId}" by config block ${next.blockNumber}: it serves the channel`);
    } else if (!member && !this.#removedNoticed && this.#wasAdded(next)) {
      // Also when it never served: a node that caught up through blocks pulled past both the block adding it and the one removing it.
      this.#removedNoticed = true;
      this.#notServing = `this node was removed from channel "${this.host.channelId}" by config block ${next.blockNumber}`;
      this.host.log.warn(`${this.#notServing}: it stops serving the channel`);
    }
  }

  /** The committed config's consenters but this node. */
  #configPeers(): ClusterPeer[] {
    const { values, ids } = this.#state;
    return values.consenters
      .map((c, i) => ({ id: ids.consenterIds[i]!, address: `${c.host}:${c.port}`, tlsCertPem: c.clientTlsCertPem }))
      .filter((p) => p.id !== this.host.selfId);
  }

  /** Transport peers: the config's consenters (a rotated leader with its old certificate until it handed over), and removed ones Raft still counts as voters. */
  #peers(): ClusterPeer[] {
    const peers = this.#configPeers().map((p) => this.#rotation.heldPeer(p.id) ?? p);
    for (const [id, peer] of this.#leaving) {
      assert.ok(!this.#state.ids.consenterIds.includes(id), `leaving consenter ${id} is a consenter of config block ${this.#state.blockNumber}`);
      if (id !== this.host.selfId) peers.push(peer);
    }
    return peers;
  }

  /** Removed consenters that are no longer Raft voters stop being transport peers. */
  #forgetLeft(voters: readonly number[]): void {
    const left = [...this.#leaving.keys()].filter((id) => !voters.includes(id));
    if (left.length === 0) return;
    for (const id of left) this.#leaving.delete(id);
    this.host.log.info({ consenters: left }, `removed consenter(s) ${left.join(', ')} left the Raft voters: no longer cluster peers`);
    this.host.transport.updatePeers(this.#peers());
  }

  /** After each applied Ready: cluster size, and on a serving leader the next membership step. */
  afterApply(): void {
    this.#refreshFromLedger();
    const raft = this.host.raft();
    // Read after every applied Ready: without the progress copy, which only a leader transferring away needs.
    const status = raft.basicStatus();
    this.#rotation.observeLeader(status.softState.lead);
    const voters = status.config.voters;
    const key = voters.join(',');
    if (key !== this.#lastVoters) {
      const before = this.#lastVoters === '' ? undefined : this.#lastVoters.split(',').map(Number);
      this.#lastVoters = key;
      this.host.metrics.clusterSize.set(voters.length);
      this.#forgetLeft(voters);
      if (before !== undefined && voters.some((id) => !before.includes(id))) this.host.snapshotNow?.(status.applied);
    }
    if (this.#rotation.abdicating) {
      this.#rotation.step();
      return;
    }
    if (!this.host.servingLeader() || status.softState.raftState !== StateType.Leader) return;
    const change = pendingConfChange(this.#state.ids.consenterIds, voters);
    if (change === undefined) return;
    const term = status.hardState.term;
    if (change.type === ConfChangeType.RemoveNode && change.nodeId === this.host.selfId) {
      // Fabric: a leader being removed transfers leadership; the next leader proposes the removal.
      const to = transfereeOf(raft.status().progress ?? new Map(), voters, this.host.selfId);
      // Retried while no transfer is in progress (etcd aborts one that does not finish within an election timeout).
      if (to === undefined || status.leadTransferee !== 0) return;
      // New submits are refused now; the commit of the last block it still orders calls afterApply again.
      if (this.host.holdsUncommitted?.() === true) return;
      this.host.log.info({ to }, `this leader is removed from the channel by config: transferring leadership to node ${to} first`);
      raft.transferLeadership(to);
      this.host.kick();
      return;
    }
    const request = `${change.type}:${change.nodeId}:${term}`;
    if (request === this.#requested) return;
    try {
      raft.proposeConfChange(change);
    } catch (err) {
      if (!(err instanceof ProposalDroppedError)) throw err;
      this.host.log.warn({ err: err.message }, 'membership change proposal dropped; retried after the next applied Ready');
      return;
    }
    this.#requested = request;
    const what = change.type === ConfChangeType.AddNode ? 'adding' : 'removing';
    this.host.log.info({ nodeId: change.nodeId }, `proposed raft membership change: ${what} node ${change.nodeId}`);
    this.host.kick();
  }
}
