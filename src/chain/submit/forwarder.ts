// A follower's forwards to the leader, followed until the leader that took
// them answers. When leadership moves, a forward still without a verdict (the
// old leader is frozen, or its stream broke) is sent again to the new leader
// at once — or ordered here, if this node is the new leader — rather than
// waiting out the cluster's submit timeout: a paused leader no longer holds
// its followers' clients. A forward refused as unavailable by the transport
// (the stream to the leader broke) waits for the next leader, at most
// `parkMs`, before the refusal reaches the client.
//
// An envelope submitted while no leader is known (the gap of a failover) is
// held the same way, instead of refused at once: it goes to the leader as soon
// as one is known, and is refused SERVICE_UNAVAILABLE only when none is within
// `hold.ms` (at most an election timeout) or when the envelopes waiting for a
// leader already reach `hold.count` / `hold.bytes`.
//
// Sending again may order an envelope twice when the old leader took it after
// all (it wakes and proposes what it read): the leader's duplicate check by
// tx id is what keeps one copy; this file only decides where an envelope goes.

import type { Logger } from 'pino';
import { ClusterUnavailableError } from '../../cluster/index.js';
import { OrdererError } from '../../errors.js';
import { ServiceUnavailableError } from '../errors.js';
import type { ChainClock, TimerHandle } from '../../clock.js';
import type { OrderedEnvelope } from '../order/leaderPipeline.js';

/** Sends again at most this many times: leadership moving faster than that is better answered "unavailable". */
const ROUTES_MAX = 4;

export interface ForwarderHost {
  readonly selfId: number;
  readonly log: Logger;
  readonly clock: ChainClock;
  /** The known leader, 0 if none. */
  leaderId(): number;
  /** Sends `envelope` to leader `to`; resolves once it accepted it for ordering. */
  send(to: number, envelope: Uint8Array): Promise<void>;
  /** Orders `envelope` on this node (it leads now). */
  orderHere(envelope: OrderedEnvelope): Promise<void>;
}

/** How long and how much a node without a known leader holds submitted envelopes for the next one. */
export interface LeaderlessHold {
  /** Time an envelope waits for a leader before it is refused. */
  readonly ms: number;
  /** Envelopes waiting for a leader (held or parked), at most; beyond it a submit is refused at once. */
  readonly count: number;
  /** Their bytes, at most. */
  readonly bytes: number;
}

/** Holds nothing: every submit without a leader is refused at once. */
export const NO_HOLD: LeaderlessHold = Object.freeze({ ms: 0, count: 0, bytes: 0 });

interface Forward {
  readonly envelope: OrderedEnvelope;
  /** The leader of the current attempt; 0 while parked (waiting for a leader). */
  leader: number;
  /** Bumped per attempt: answers of an earlier attempt are ignored. */
  attempt: number;
  routes: number;
  parkTimer: TimerHandle | undefined;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class Forwarder {
  /** Forwards without a final answer. Bounded by the callers' own windows (Broadcast streams, handover). */
  readonly #open = new Set<Forward>();
  #rerouted = 0;
  #refusedLeaderless = 0;
  /** Open forwards waiting for a leader (leader 0), and their bytes. */
  #waiting = 0;
  #waitingBytes = 0;

  constructor(
    private readonly host: ForwarderHost,
    /** How long a forward refused as unavailable waits for a new leader. */
    private readonly parkMs: number,
    private readonly hold: LeaderlessHold = NO_HOLD,
  ) {}

  /** Envelopes waiting for a leader to be known (tests, stats). */
  get waiting(): number {
    return this.#waiting;
  }

  /** Submits refused because no leader was known within the hold, or the hold was full. */
  get refusedLeaderless(): number {
    return this.#refusedLeaderless;
  }

  /** Forwards not yet answered (tests, stats). */
  get open(): number {
    return this.#open.size;
  }

  /** Forwards sent again to a new leader so far. */
  get rerouted(): number {
    return this.#rerouted;
  }

  /** Forwards `envelope` to `leader`; resolves once some leader accepted it. */
  forward(leader: number, envelope: OrderedEnvelope): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const f: Forward = { envelope, leader, attempt: 0, routes: 0, parkTimer: undefined, resolve, reject };
      this.#open.add(f);
      this.#send(f);
    });
  }

  /**
   * No leader is known: holds `envelope` until one is (then it goes there, or
   * into this node's pipeline), at most hold.ms; refused at once when the
   * envelopes waiting for a leader fill the hold.
   */
  holdForLeader(envelope: OrderedEnvelope): Promise<void> {
    const { ms, count, bytes } = this.hold;
    if (this.#waiting >= count || this.#waitingBytes + envelope.bytes.length > bytes) {
      this.#refusedLeaderless++;
      const why = count === 0 ? '' : ` (${this.#waiting} envelopes, ${this.#waitingBytes} bytes already wait for one)`;
      return Promise.reject(new ServiceUnavailableError(`no Raft leader${why}`));
    }
    return new Promise<void>((resolve, reject) => {
      const f: Forward = { envelope, leader: 0, attempt: 0, routes: 0, parkTimer: undefined, resolve, reject };
      this.#open.add(f);
      this.#park(f, ms, () => {
        this.#refusedLeaderless++;
        return new ServiceUnavailableError(`no Raft leader known within ${ms} ms`);
      });
    });
  }

  /** Every leader change: what waits on another leader (or on none) goes to this one. */
  onLeader(lead: number): void {
    if (lead === 0 || this.#open.size === 0) return;
    let moved = 0;
    for (const f of this.#open) {
      if (f.leader === lead) continue;
      if (f.routes >= ROUTES_MAX) continue;
      this.#unpark(f);
      f.leader = lead;
      f.routes++;
      moved++;
      this.#send(f);
    }
    if (moved > 0) {
      this.#rerouted += moved;
      this.host.log.info({ leader: lead, envelopes: moved }, `${moved} forwarded envelopes without a verdict sent again to the new leader ${lead}`);
    }
  }

  /** The chain stops: every open forward is refused with `error`. */
  close(error: Error): void {
    for (const f of this.#open) this.#finish(f, error);
  }

  #send(f: Forward): void {
    const attempt = ++f.attempt;
    const to = f.leader;
    const sent = to === this.host.selfId ? this.host.orderHere(f.envelope) : this.host.send(to, f.envelope.bytes);
    sent.then(
      () => {
        if (f.attempt === attempt) this.#finish(f, undefined);
      },
      (error: unknown) => {
        if (f.attempt === attempt) this.#refused(f, to, error);
      },
    );
  }

  #refused(f: Forward, to: number, error: unknown): void {
    const unavailable = error instanceof OrdererError && error.code === 'SERVICE_UNAVAILABLE';
    const lead = this.host.leaderId();
    // The leader's own "unavailable" (overloaded, closing) while it still leads: the client hears it now.
    const leaderStillAnswers = lead === to && !(error instanceof ClusterUnavailableError);
    if (!unavailable || leaderStillAnswers || f.routes >= ROUTES_MAX) {
      this.#finish(f, error);
      return;
    }
    if (lead !== 0 && lead !== to) {
      f.leader = lead;
      f.routes++;
      this.#rerouted++;
      this.#send(f);
      return;
    }
    // Wait for the next leader (leader-loss detection or the election timeout finds one).
    this.#park(f, this.parkMs, () => error);
  }

  /** `f` waits for a leader, at most `ms`; then it is answered with `error()`. */
  #park(f: Forward, ms: number, error: () => unknown): void {
    f.leader = 0;
    this.#waiting++;
    this.#waitingBytes += f.envelope.bytes.length;
    f.parkTimer = this.host.clock.after(ms, () => this.#finish(f, error()));
  }

  #unpark(f: Forward): void {
    if (f.parkTimer === undefined) return;
    f.parkTimer.cancel();
    f.parkTimer = undefined;
    this.#waiting--;
    this.#waitingBytes -= f.envelope.bytes.length;
  }

  #finish(f: Forward, error: unknown): void {
    if (!this.#open.delete(f)) return;
    this.#unpark(f);
    f.attempt++;
    if (error === undefined) f.resolve();
    else f.reject(error);
  }
}
