// The sending loop. Open loop: envelope k of a phase is due at its intended
// time (fixed rate, or a linear ramp), whatever the orderer does; its latency
// counts from that time even when the harness could only send it later (the
// outstanding cap reached, no stream up) — wrk2's correction, so a stalled
// orderer cannot hide its stall. Closed loop: keep `backlog` envelopes
// outstanding. One pump per event-loop turn sends everything allowed, so
// answers arriving together produce one burst of writes; no promise per send.

import type { BroadcastLane, LaneSink } from './broadcastLane.js';
import type { EnvelopeSupply, TakenEnvelope } from './envelopeSupply.js';
import type { Recorder } from './recorder.js';
import type { BacklogPhase, RatePhase } from './schedule.js';

/** What the driver runs: open loop at a rate (a find-max step is one), or closed loop. */
type Phase = RatePhase | BacklogPhase;

/** After SERVICE_UNAVAILABLE (no leader, overloaded) a lane waits this long: retrying at once would spin the CPU an election needs. */
const UNAVAILABLE_PAUSE_MS = 50;
/** Envelopes a lane takes in a row before the next lane's turn (few enough that lanes stay even, enough to write runs). */
const LANE_RUN = 16;
/** While nothing can be sent (every lane down or paused, no envelope signed yet), look again this often. */
const IDLE_POLL_MS = 5;
/**
 * Open loop: the pump wakes at most once a tick and sends every envelope due
 * by then in one burst. Each wake-up of the event loop costs more CPU than a
 * send, so by default the tick holds about BURST envelopes at the current
 * rate, within [TICK_MIN_MS, TICK_MAX_MS]: 2 ms at 4,000 tx/s and more, 8 ms
 * at 1,000 tx/s. An envelope sent up to a tick late has that delay in its
 * latency (measured from its intended time), so it is never hidden.
 */
const BURST = 8;
const TICK_MIN_MS = 2;
const TICK_MAX_MS = 10;

/** The open-loop tick at `rate` tx/s: fixed when the user gave one. */
export function openLoopTickMs(rate: number, fixedMs?: number): number {
  if (fixedMs !== undefined) return fixedMs;
  return Math.min(TICK_MAX_MS, Math.max(TICK_MIN_MS, (BURST * 1000) / Math.max(rate, 1)));
}

/** What an ended open-loop phase made due and the cap (or no lane) kept unsent: sent before anything newer. */
interface OwedRun {
  readonly phase: RatePhase;
  readonly startMs: number;
  readonly endMs: number;
  nextDueMs: number;
}

export class Driver implements LaneSink {
  readonly lanes: BroadcastLane[] = [];
  readonly #recorder: Recorder;
  readonly #supply: EnvelopeSupply;
  readonly #maxOutstanding: number;
  readonly #tickMs: number | undefined;
  #phase: Phase | undefined;
  #phaseStartMs = 0;
  /** An open-loop phase makes due exactly the envelopes whose intended time falls before its end. */
  #phaseEndMs = 0;
  #nextDueMs = 0;
  /** Ended open-loop phases' due envelopes not sent yet, oldest first. */
  readonly #owed: OwedRun[] = [];
  #outstanding = 0;
  #laneCursor = 0;
  #immediate: NodeJS.Immediate | undefined;
  #timer: NodeJS.Timeout | undefined;
  #drained: (() => void) | undefined;
  /** The last pump stopped short of what was due or wanted (cap, no lane, no envelope). */
  #blocked = false;
  readonly #envelope: TakenEnvelope = { bytes: Buffer.alloc(0), start: 0, end: 0, txKey: 0 };
  /** Envelopes sent on the lane at the cursor since it last moved. */
  #onLane = 0;
  /** Called when a lane's stream fails (to reopen it). */
  laneDownHandler: (lane: BroadcastLane, reason: string) => void = () => undefined;

  /** The channel this driver loads (its index in the target's channels, and its id). */
  readonly channel: number;
  readonly channelId: string;

  /** `tickMs` fixes the open-loop tick; by default it follows the rate (openLoopTickMs). */
  constructor(recorder: Recorder, supply: EnvelopeSupply, maxOutstanding: number, channel = 0, channelId = '', tickMs?: number) {
    this.#tickMs = tickMs;
    this.channel = channel;
    this.channelId = channelId;
    this.#recorder = recorder;
    this.#supply = supply;
    this.#maxOutstanding = maxOutstanding;
  }

  get outstanding(): number {
    return this.#outstanding;
  }

  /** Starts a phase at `nowMs`; undefined stops sending (answers still count). */
  setPhase(phase: Phase | undefined, nowMs: number): void {
    // What the phase ending now made due is sent before the next one starts, however late the last tick ran.
    // Whatever the cap still holds back stays owed: dropping it would hide the stall that held it (coordinated omission).
    const ending = this.#phase;
    if (ending?.kind === 'rate') {
      this.#pump();
      // A phase cut short (the run stopped) owes only what was due by now.
      const endMs = Math.min(this.#phaseEndMs, nowMs);
      if (this.#nextDueMs < endMs) this.#owed.push({ phase: ending, startMs: this.#phaseStartMs, endMs, nextDueMs: this.#nextDueMs });
    }
    this.#phase = phase;
    this.#phaseStartMs = nowMs;
    this.#phaseEndMs = phase === undefined ? nowMs : nowMs + phase.durationS * 1000;
    this.#nextDueMs = nowMs;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.wake();
  }

  /** Sends nothing more, owed or not, and leaves no timer behind (answers still count). */
  stop(): void {
    this.#phase = undefined;
    this.#owed.length = 0;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
  }

  /** Resolves once nothing is outstanding or owed (or at once). */
  drained(): Promise<void> {
    if (this.#outstanding === 0 && this.#owed.length === 0) return Promise.resolve();
    return new Promise((resolve) => (this.#drained = resolve));
  }

  onAnswer(lane: BroadcastLane, status: number, txKey: number, intendedMs: number, sentMs: number, nowMs: number): void {
    this.#outstanding--;
    this.#recorder.answer(this.channel, status, txKey, intendedMs, sentMs, nowMs);
    if (status === 503) lane.pausedUntilMs = nowMs + UNAVAILABLE_PAUSE_MS;
    if (this.#outstanding === 0 && this.#owed.length === 0 && this.#drained !== undefined) {
      const drained = this.#drained;
      this.#drained = undefined;
      drained();
    }
    // Open loop, the timer paces sending: an answer matters only when the cap (or no envelope) held sending back.
    if (this.#phase?.kind === 'backlog' || this.#blocked || this.#owed.length > 0) this.wake();
  }

  onLaneDown(lane: BroadcastLane, reason: string): void {
    this.laneDownHandler(lane, reason);
  }

  /** Pumps on the next turn of the event loop (once, however many answers arrive in this one). */
  wake(): void {
    if (this.#immediate !== undefined || (this.#phase === undefined && this.#owed.length === 0)) return;
    this.#immediate = setImmediate(() => {
      this.#immediate = undefined;
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const now = performance.now();
    let blocked = this.#sendOwed(now);
    const phase = this.#phase;
    if (phase === undefined || blocked) {
      for (const lane of this.lanes) lane.flush();
      this.#blocked = blocked;
      if (blocked && this.#outstanding < this.#maxOutstanding) this.#timer = setTimeout(() => this.#pump(), IDLE_POLL_MS);
      return;
    }
    if (phase.kind === 'rate') {
      while (this.#nextDueMs <= now && this.#nextDueMs < this.#phaseEndMs) {
        if (this.#outstanding >= this.#maxOutstanding || !this.#sendOne(this.#nextDueMs, now)) {
          blocked = true;
          break;
        }
        this.#nextDueMs += 1000 / rateAt(phase, this.#phaseStartMs, this.#nextDueMs);
      }
    } else {
      while (this.#outstanding < phase.backlog) {
        if (!this.#sendOne(now, now)) {
          blocked = true;
          break;
        }
      }
    }
    // Everything this pump sent goes out in one write per lane.
    for (const lane of this.lanes) lane.flush();
    this.#blocked = blocked;
    // An answer wakes the pump when capacity is the limit; a timer covers the next due time and lanes coming back.
    if (phase.kind === 'rate' && !blocked && this.#nextDueMs < this.#phaseEndMs)
      this.#timer = setTimeout(
        () => this.#pump(),
        Math.max(openLoopTickMs(rateAt(phase, this.#phaseStartMs, this.#nextDueMs), this.#tickMs), this.#nextDueMs - performance.now()),
      );
    else if (blocked && this.#outstanding < (phase.kind === 'rate' ? this.#maxOutstanding : phase.backlog))
      this.#timer = setTimeout(() => this.#pump(), IDLE_POLL_MS);
  }

  /** Sends what ended phases still owe, oldest first; true if the cap (or no lane) stopped it short. */
  #sendOwed(nowMs: number): boolean {
    while (this.#owed.length > 0) {
      const run = this.#owed[0]!;
      while (run.nextDueMs < run.endMs) {
        if (this.#outstanding >= this.#maxOutstanding || !this.#sendOne(run.nextDueMs, nowMs)) return true;
        run.nextDueMs += 1000 / rateAt(run.phase, run.startMs, run.nextDueMs);
      }
      this.#owed.shift();
    }
    return false;
  }

  /**
   * Sends the next envelope on a usable lane, false if no lane or envelope is
   * available. Lanes take turns by runs of LANE_RUN envelopes: consecutive
   * envelopes lie back to back in their signed batch, so a lane writes a run
   * as it is.
   */
  #sendOne(intendedMs: number, nowMs: number): boolean {
    const lanes = this.lanes;
    if (this.#onLane >= LANE_RUN) this.#nextLane();
    for (let tried = 0; tried < lanes.length; tried++) {
      const lane = lanes[this.#laneCursor]!;
      if (!lane.up || lane.pausedUntilMs > nowMs) {
        this.#nextLane();
        continue;
      }
      const envelope = this.#envelope;
      if (!this.#supply.take(envelope)) return false;
      this.#outstanding++;
      this.#onLane++;
      this.#recorder.sent(this.channel, envelope.txKey, intendedMs);
      lane.send(envelope.bytes, envelope.start, envelope.end, envelope.txKey, intendedMs, nowMs);
      return true;
    }
    return false;
  }

  #nextLane(): void {
    this.#laneCursor = this.lanes.length === 0 ? 0 : (this.#laneCursor + 1) % this.lanes.length;
    this.#onLane = 0;
  }
}

/** An open-loop phase's rate at `atMs` (fixed, or the point on its linear ramp). */
function rateAt(phase: RatePhase, startMs: number, atMs: number): number {
  const fraction = Math.min(1, Math.max(0, (atMs - startMs) / (phase.durationS * 1000)));
  return phase.rate + (phase.toRate - phase.rate) * fraction;
}
