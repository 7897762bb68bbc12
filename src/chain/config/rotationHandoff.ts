// A committed config that rotates the Raft leader's own TLS certificate, as
// Fabric's etcdraft chain handles it ("certificate of Raft leader is being
// rotated, attempt leader transfer before reconfiguring communication"):
// the leader, still running with its old certificate, hands leadership over
// (MsgTimeoutNow to the most caught-up reachable voter), and every other node
// keeps the leader's OLD certificate pinned until the leadership moved.
// Re-pinning at once would make the peers refuse the leader's connection, so
// the MsgTimeoutNow could never arrive and the channel would wait out an
// election timeout. Both waits are bounded (`electionTicks` × 2 ticks): after
// that the peers pin the new certificate and a leader that could not hand
// over leads on (the peers refuse it until it restarts with the new one).

import assert from 'node:assert/strict';
import type { Logger } from 'pino';
import type { ClusterPeer } from '../../cluster/index.js';
import { StateType, type RawNode } from '../../raft/index.js';
import { mostCaughtUpFollower } from '../liveness/shutdown.js';

export interface RotationHandoffHost {
  readonly channelId: string;
  readonly selfId: number;
  readonly log: Logger;
  /** The chain's election timeout in ticks: both waits last at most twice this. */
  readonly electionTicks: number;
  raft(): RawNode;
  isReachable(id: number): boolean;
  /** The leader pipeline holds envelopes not yet in a committed block. */
  holdsUncommitted(): boolean;
  kick(): void;
}

export class RotationHandoff {
  /**
   * Follower side: the rotated leader's transport entry before the rotation,
   * still presented to the transport until the leadership moved or
   * `ticksLeft` ran out. Invariant: ticksLeft > 0, peer.id !== selfId.
   */
  #held: { peer: ClusterPeer; ticksLeft: number } | undefined;
  /**
   * Leader side: this leader's own certificate was rotated by config block
   * `block`; it refuses new envelopes, orders what it accepted, then
   * transfers leadership. Invariant: ticksLeft > 0.
   */
  #abdicating: { block: number; ticksLeft: number } | undefined;
  /**
   * The last leader this node knew (0: none yet), as Fabric's
   * lastKnownLeader: a follower that applies the rotation while an election
   * the transfer started is under way (leader 0 for a moment) still holds the
   * old leader's certificate, so the old leader hears of the new term.
   */
  #lastKnownLeader = 0;

  constructor(private readonly host: RotationHandoffHost) {
    assert.ok(Number.isSafeInteger(host.electionTicks) && host.electionTicks > 0, 'electionTicks must be a positive integer');
  }

  /** Why this node refuses new envelopes now (it is handing leadership over), or undefined. */
  get refusalReason(): string | undefined {
    if (this.#abdicating === undefined) return undefined;
    return `node ${this.host.selfId} is handing the leadership of channel "${this.host.channelId}" over before its rotated TLS certificate is pinned (config block ${this.#abdicating.block}); retry shortly`;
  }

  get abdicating(): boolean {
    return this.#abdicating !== undefined;
  }

  /** The leader this node knows now (0: none), after each applied Ready and each tick. */
  observeLeader(leaderId: number): void {
    if (leaderId !== 0) this.#lastKnownLeader = leaderId;
  }

  /** The transport entry to keep for `id` instead of the committed config's (its old certificate), if any. */
  heldPeer(id: number): ClusterPeer | undefined {
    return this.#held?.peer.id === id ? this.#held.peer : undefined;
  }

  /**
   * Config block `block` committed a new certificate for consenter
   * `rotatedId`; `previous` is its transport entry before (undefined for
   * this node). Nothing to do unless `rotatedId` leads now.
   */
  onRotation(rotatedId: number, previous: ClusterPeer | undefined, block: number): void {
    const status = this.host.raft().status();
    if ((status.softState.lead || this.#lastKnownLeader) !== rotatedId) return;
    const ticks = 2 * this.host.electionTicks;
    if (rotatedId === this.host.selfId) {
      if (status.softState.raftState !== StateType.Leader) return;
      this.#abdicating = { block, ticksLeft: ticks };
      // The transfer itself waits for afterApply or a tick: this runs while a Ready is being applied.
      this.host.log.info(
        `config block ${block} rotates the TLS certificate of this Raft leader: handing leadership over before the peers pin the new certificate`,
      );
      return;
    }
    assert.ok(previous !== undefined && previous.id === rotatedId, `rotated leader ${rotatedId} had no transport entry`);
    this.#held = { peer: previous, ticksLeft: ticks };
    this.host.log.info(
      { leader: rotatedId, block },
      `config block ${block} rotates the TLS certificate of Raft leader ${rotatedId}: its previous certificate stays pinned until the leadership moved (at most ${ticks} ticks)`,
    );
  }

  /**
   * Leader side, after each applied Ready and each tick: once nothing
   * accepted is left uncommitted, transfer leadership (again, when Raft
   * aborted a transfer that did not finish within an election timeout).
   */
  step(): void {
    const abdicating = this.#abdicating;
    if (abdicating === undefined) return;
    const raft = this.host.raft();
    const status = raft.status();
    if (status.softState.raftState !== StateType.Leader) {
      this.#abdicating = undefined;
      this.host.log.info(
        { leader: status.softState.lead },
        `leadership handed over (leader now: ${status.softState.lead || 'none yet'}); restart this node with its new TLS certificate`,
      );
      return;
    }
    if (status.leadTransferee !== 0 || this.host.holdsUncommitted()) return;
    const to = mostCaughtUpFollower(status, this.host.selfId, (id) => this.host.isReachable(id));
    if (to === undefined) {
      this.#abdicating = undefined;
      this.host.log.warn(
        `no reachable voter to hand leadership to: this node leads on; the peers refuse its old TLS certificate until it restarts with the new one`,
      );
      return;
    }
    this.host.log.info({ to }, `certificate of this Raft leader is rotated by config block ${abdicating.block}: transferring leadership to node ${to}`);
    raft.transferLeadership(to);
    this.host.kick();
  }

  /** Every tick, with the leader known now (0: none). Returns true when the held certificate was released: pin the new one now. */
  onTick(leaderId: number): boolean {
    this.observeLeader(leaderId);
    if (this.#abdicating !== undefined) {
      this.#abdicating.ticksLeft--;
      if (this.#abdicating.ticksLeft <= 0) {
        this.#abdicating = undefined;
        this.host.log.warn(
          `leadership not handed over within ${2 * this.host.electionTicks} ticks: this node leads on until the peers refuse its old TLS certificate`,
        );
      } else {
        this.step();
      }
    }
    const held = this.#held;
    if (held === undefined) return false;
    if (leaderId !== 0 && leaderId !== held.peer.id) {
      this.#held = undefined;
      this.host.log.info(
        { leader: leaderId },
        `leadership moved from node ${held.peer.id} to node ${leaderId}: pinning node ${held.peer.id}'s rotated TLS certificate`,
      );
      return true;
    }
    held.ticksLeft--;
    if (held.ticksLeft > 0) return false;
    this.#held = undefined;
    this.host.log.warn(
      `node ${held.peer.id} still leads ${2 * this.host.electionTicks} ticks after its TLS certificate was rotated: pinning the new certificate anyway`,
    );
    return true;
  }
}
