// A cluster of simulated nodes on a simulated network, advanced in ticks.
// Each tick: faults roll, the client may propose, every running node ticks,
// then `roundsPerTick` delivery rounds run (deliver what is due, run every
// node's Ready loop, put its messages on the wire). Invariants are checked
// inside the Ready loops, i.e. after every step of every node.

import assert from 'node:assert/strict';
import { ConfChangeType, MessageType, type Entry, type Message } from '../../../src/raft/types.js';
import { asciiBytes, latin1 } from './app-state.js';
import { EventLog } from './event-log.js';
import { FaultInjector, noFaults, type FaultProfile, type FaultTarget } from './faults.js';
import { SafetyChecker } from './invariants.js';
import { pickConfChange } from './membership.js';
import { Network, type LostMessage } from './network.js';
import type { Prng } from './prng.js';
import { SimNode, type SimNodeOptions } from './sim-node.js';
import { TransportLoss } from './transport-loss.js';

/** What every node of the cluster shares; the cluster fills in each node's id, voters, PRNG and apply hook. */
export type SharedNodeOptions = Omit<SimNodeOptions, 'id' | 'voters' | 'random' | 'onApplied'>;

export interface ClusterOptions extends SharedNodeOptions {
  /** Initial voters 1..size. */
  readonly size: number;
  /** Nodes size+1..size+spareNodes boot outside the membership; the operator may add them. */
  readonly spareNodes: number;
  /** Per tick while faults are on: chance the operator asks the leader for a membership change. */
  readonly membershipChangeChance: number;
  readonly roundsPerTick: number;
  /** Bound on messages on the wire; beyond it the network drops (a full transport queue). */
  readonly inFlightMax: number;
  readonly eventLogCapacity: number;
  /**
   * Transport-loss events acted on by the chain's leader-loss policy
   * (transport-loss.ts) with this grace in ms; undefined: Raft alone, as etcd.
   */
  readonly leaderLossGraceMs: number | undefined;
}

export class Cluster implements FaultTarget {
  readonly options: ClusterOptions;
  readonly ids: readonly number[];
  readonly checker = new SafetyChecker();
  readonly events: EventLog;
  readonly network: Network;
  readonly #prng: Prng;
  readonly #nodes = new Map<number, SimNode>();
  /** Present while faults are being injected. */
  #injector: FaultInjector | undefined;
  /** Present with options.leaderLossGraceMs. */
  readonly transportLoss: TransportLoss | undefined;
  #round = 0;
  #tick = 0;
  /** Which of the tick's rounds is running; for event stamps only. */
  #roundInTick = 0;
  #proposalSeq = 0;
  /** Liveness markers proposed, and the index where the first one was applied. */
  readonly #markers = new Set<string>();
  #markerIndex: number | undefined;
  readonly #counts = { crashes: 0, partitions: 0, delivered: 0, lost: 0, transfers: 0, confChangesProposed: 0 };

  constructor(prng: Prng, options: ClusterOptions) {
    assert.ok(options.size >= 1 && options.roundsPerTick >= 1, 'a cluster needs nodes and rounds');
    this.options = options;
    this.#prng = prng;
    this.events = new EventLog(options.eventLogCapacity);
    this.network = new Network(prng, options.inFlightMax);
    this.ids = Array.from({ length: options.size + options.spareNodes }, (_, i) => i + 1);
    const initialVoters = this.ids.slice(0, options.size);
    const random = (): number => prng.next();
    for (const id of this.ids) {
      const onApplied = (_: number, e: Entry): void => this.#onApplied(e);
      const record = (event: string): void => this.record(event);
      const voters = id <= options.size ? initialVoters : [];
      const node = new SimNode({ ...options, id, voters, random, onApplied }, this.checker, record);
      this.#nodes.set(id, node);
    }
    this.transportLoss =
      options.leaderLossGraceMs === undefined
        ? undefined
        : new TransportLoss(
            {
              ids: this.ids,
              isRunning: (id) => this.isRunning(id),
              raw: (id) => this.node(id).rawNode,
              lead: (id) => this.node(id).lead,
              isLinkUp: (from, to) => this.network.isLinkUp(from, to),
              lastLog: (id) => {
                const disk = this.node(id).disk;
                return { index: disk.lastIndex(), term: disk.term(disk.lastIndex()) };
              },
              record: (event) => this.record(event),
            },
            options.roundsPerTick,
            options.leaderLossGraceMs,
            random,
          );
  }

  get tickCount(): number {
    return this.#tick;
  }

  node(id: number): SimNode {
    const n = this.#nodes.get(id);
    assert.ok(n !== undefined, `no node ${id}`);
    return n;
  }

  /** Turns fault injection on with `profile` (also sets the link faults). */
  startFaults(profile: FaultProfile): void {
    this.#injector = new FaultInjector(this.#prng, profile);
    this.network.setFaults(profile.links);
    this.record(
      `faults on: drop ${profile.links.dropRate.toFixed(3)} dup ${profile.links.duplicateRate.toFixed(3)} delay<=${profile.links.delayRoundsMax} rounds`,
    );
  }

  /**
   * Stops injecting, heals every link and makes links healthy; then brings the
   * fleet in line with the membership (see reconcileMembership).
   */
  healAll(): void {
    this.#injector = undefined;
    this.network.setFaults(noFaults.links);
    this.healLinks();
    this.record('all faults healed');
    this.reconcileMembership();
  }

  /**
   * What an operator does once the faults are over: every member of the
   * latest membership runs, every other node is shut down (decommissioned),
   * so that a removed node that never learnt of its removal cannot keep
   * disrupting elections. Called after healing and on every liveness tick,
   * since a change still in flight may commit after healing.
   */
  reconcileMembership(): void {
    const members = this.latestMembers();
    for (const id of this.ids) {
      const member = members.has(id);
      if (member && !this.isRunning(id)) this.restart(id);
      if (!member && this.isRunning(id)) {
        this.record(`decommission n${id} (not a member)`);
        this.node(id).crash();
      }
    }
  }

  /** Voters and learners of the running node that applied the most: the newest committed membership known. */
  latestMembers(): Set<number> {
    let newest: SimNode | undefined;
    for (const n of this.#nodes.values()) {
      if (n.running && (newest === undefined || n.app.appliedIndex > newest.app.appliedIndex)) newest = n;
    }
    if (newest === undefined) return new Set(this.ids.slice(0, this.options.size));
    return new Set([...newest.confState.voters, ...newest.confState.learners]);
  }

  /** One tick of simulated time. */
  runTick(): void {
    this.#tick++;
    this.#injector?.onTick(this);
    if (this.#injector !== undefined) this.#maybeChangeMembership();
    const skip = this.#injector?.profile.skipTickChance ?? 0;
    for (const node of this.#nodes.values()) {
      if (node.running && !this.#prng.chance(skip)) node.tick();
    }
    for (this.#roundInTick = 0; this.#roundInTick < this.options.roundsPerTick; this.#roundInTick++) this.#runRound();
  }

  #runRound(): void {
    this.#round++;
    const { delivered, lost } = this.network.takeDue(this.#round);
    for (const l of lost) this.#onLost(l);
    for (const m of delivered) {
      const to = this.#nodes.get(m.to);
      if (to === undefined || !to.running) {
        this.#onLost({ message: m, reason: 'node-down' });
        continue;
      }
      this.record(`deliver ${describe(m)}`);
      this.#counts.delivered++;
      this.transportLoss?.observe(m.to, m);
      to.step(m);
      if (m.type === MessageType.MsgSnap) this.node(m.from).reportSnapshot(m.to, 'finish');
    }
    const crashChance = this.#injector?.profile.crashAfterPersistChance ?? 0;
    for (const node of this.#nodes.values()) {
      const out = node.processReady(() => this.#prng.chance(crashChance));
      for (const m of out) for (const l of this.network.send(m, this.#round)) this.#onLost(l);
    }
    this.transportLoss?.onRound();
  }

  /** What a transport tells the sender about a message it could not deliver. */
  #onLost(l: LostMessage): void {
    const m = l.message;
    this.#counts.lost++;
    this.record(`lost (${l.reason}) ${describe(m)}`);
    const from = this.#nodes.get(m.from);
    if (from === undefined || !from.running) return;
    if (m.type === MessageType.MsgSnap) from.reportSnapshot(m.to, 'failure');
    // What a transport notices (a broken connection), not a silently lost packet.
    if (l.reason === 'link-cut' || l.reason === 'node-down') {
      from.reportUnreachable(m.to);
      this.transportLoss?.streamBroke(m.from, m.to);
    }
  }

  /** The client: proposes `payload` through node `id`. Returns false if it was refused at once. */
  propose(id: number, payload: string): boolean {
    const data = asciiBytes(payload);
    this.checker.observeProposal(data);
    const ok = this.node(id).propose(data);
    this.record(`propose ${payload} at n${id}: ${ok ? 'accepted' : 'dropped'}`);
    return ok;
  }

  /** The client's background load: with probability `chance`, one proposal through a random running node. */
  maybePropose(chance: number): void {
    if (!this.#prng.chance(chance)) return;
    const running = this.ids.filter((id) => this.isRunning(id));
    if (running.length === 0) return;
    this.propose(this.#prng.pick(running), `p${++this.#proposalSeq}`);
  }

  /** Proposes a liveness marker (a payload the run waits to see applied everywhere). */
  proposeMarker(id: number, payload: string): boolean {
    this.#markers.add(payload);
    return this.propose(id, payload);
  }

  #onApplied(e: Entry): void {
    if (this.#markerIndex !== undefined || e.data.byteLength === 0 || this.#markers.size === 0) return;
    if (this.#markers.has(latin1(e.data))) this.#markerIndex = e.index;
  }

  /** True once a marker is applied and every member is up and has applied at least up to it. */
  markerAppliedEverywhere(): boolean {
    const at = this.#markerIndex;
    if (at === undefined) return false;
    for (const id of this.latestMembers()) {
      const n = this.node(id);
      if (!n.running || n.app.appliedIndex < at) return false;
    }
    return true;
  }

  /** The leader with the highest term, if any node leads. */
  newestLeader(): SimNode | undefined {
    let newest: SimNode | undefined;
    for (const n of this.#nodes.values()) if (n.isLeader && (newest === undefined || n.term > newest.term)) newest = n;
    return newest;
  }

  #maybeChangeMembership(): void {
    if (!this.#prng.chance(this.options.membershipChangeChance)) return;
    const leader = this.newestLeader();
    if (leader === undefined) return;
    const cc = pickConfChange(this.#prng, leader.confState, { ids: this.ids, votersMin: this.options.size - 1 });
    if (cc === undefined) return;
    const ok = leader.proposeConfChange(cc);
    this.#counts.confChangesProposed++;
    this.record(`propose conf change ${ConfChangeType[cc.type]} ${cc.nodeId} at n${leader.id}: ${ok ? 'accepted' : 'dropped'}`);
  }

  /** One line per node, for failure messages. */
  describeNodes(): string {
    return this.ids
      .map((id) => {
        const n = this.node(id);
        if (!n.running) return `n${id} down`;
        return `n${id} term ${n.term} lead ${n.lead}${n.isLeader ? ' (leader)' : ''} applied ${n.app.appliedIndex} (sum ${n.app.checksum.toString(16)}) log [${n.disk.firstIndex()}, ${n.disk.lastIndex()}]`;
      })
      .join('; ');
  }

  /** Counters for the run's summary. */
  stats(): Record<string, number> {
    let snapshotsTaken = 0;
    let snapshotsRestored = 0;
    let confChangesApplied = 0;
    let snapshotReadsRefused = 0;
    for (const n of this.#nodes.values()) {
      snapshotsTaken += n.snapshotsTaken;
      snapshotsRestored += n.snapshotsRestored;
      confChangesApplied += n.confChangesApplied;
      snapshotReadsRefused += n.snapshotReadsRefused;
    }
    return {
      ...this.#counts,
      ...this.transportLoss?.counts,
      snapshotsTaken,
      snapshotsRestored,
      confChangesApplied,
      snapshotReadsRefused,
      leaderTerms: this.checker.leaderTerms,
      committed: this.checker.committedMax,
    };
  }

  // FaultTarget

  isRunning(id: number): boolean {
    return this.node(id).running;
  }

  crash(id: number): void {
    this.record(`crash n${id}`);
    this.#counts.crashes++;
    this.node(id).crash();
    this.transportLoss?.died(id);
  }

  restart(id: number): void {
    this.record(`restart n${id}`);
    this.node(id).start();
    this.transportLoss?.started(id);
  }

  leaderIds(): number[] {
    return this.ids.filter((id) => this.node(id).isLeader);
  }

  transferLeadership(from: number, to: number): void {
    this.record(`transfer leadership n${from} -> n${to}`);
    this.#counts.transfers++;
    this.node(from).transferLeadership(to);
  }

  partition(groups: readonly (readonly number[])[]): void {
    this.#counts.partitions++;
    this.record(`partition ${groups.map((g) => `[${g.join(',')}]`).join(' | ')}`);
    this.network.partition(groups);
  }

  cutLink(from: number, to: number): void {
    this.#counts.partitions++;
    this.record(`cut link n${from} -> n${to}`);
    this.network.cutLink(from, to);
  }

  healLinks(): void {
    if (this.network.cutLinkCount > 0) this.record('heal links');
    this.network.heal();
    this.transportLoss?.heal();
  }

  flapToLeader(at: number, refuseRedials: boolean): void {
    const lead = this.node(at).lead;
    if (this.transportLoss === undefined || lead === 0 || lead === at) return;
    this.transportLoss.flap(at, lead, refuseRedials);
  }

  record(event: string): void {
    this.events.record(`t${this.#tick}.${this.#roundInTick} ${event}`);
  }
}

function describe(m: Message): string {
  const parts = [`${MessageType[m.type]} ${m.from}->${m.to} t${m.term}`];
  if (m.type === MessageType.MsgApp) parts.push(`prev ${m.index}/${m.logTerm} +${m.entries.length} c${m.commit}`);
  else if (m.type === MessageType.MsgAppResp) parts.push(`i${m.index}${m.reject ? ` reject hint ${m.rejectHint}` : ''}`);
  else if (m.type === MessageType.MsgSnap && m.snapshot) parts.push(`snap ${m.snapshot.metadata.index}/${m.snapshot.metadata.term}`);
  else if (m.type === MessageType.MsgVoteResp || m.type === MessageType.MsgPreVoteResp) parts.push(m.reject ? 'rejected' : 'granted');
  else if (m.type === MessageType.MsgVote || m.type === MessageType.MsgPreVote) parts.push(`last ${m.index}/${m.logTerm}`);
  return parts.join(' ');
}
