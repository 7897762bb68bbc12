// Which leader crash, if any, explains a lost accepted-mode acknowledgement.
// An accepted-mode SUCCESS means the envelope entered the block cutter of the
// node leading its channel when it arrived there; it is lost only if that
// leader died before the envelope's block was replicated. The envelope cannot
// reach a leader before the client sent it, and its block is proposed within
// a batch timeout and a round trip of arriving, so the crash must fall
// between the send and LOSS_WINDOW_MS after the acknowledgement. When the
// node the client talked to is the one that crashed, it answered while alive:
// the crash cannot be earlier than the answer's arrival (less a delivery
// slack). When another node forwarded the envelope, it relays the leader's
// answer, which under load arrives long after the leader died. A full disk
// is a crash spanning the fill to the halt (faults.ts CrashEvent): some
// moment of it must fall in that window; the halted node's process lives on,
// so its own answers may arrive after the halt. A leader cut off from the
// others (partitioned from all, or paused) keeps what it accepted until it is
// healed and hears the new leader, then hands it over (the chain's handover):
// a crash of the channel's leader up to LOSS_WINDOW_MS after that heal may
// take it too.

import type { CrashEvent } from './faults.js';

/** A crash of the leader up to this long after an accepted-mode acknowledgement may take the envelope with it (the cutter's batch and the proposal in flight). */
export const LOSS_WINDOW_MS = 3000;
/** An answer already on its way (in the sockets) when its sender was killed arrives at most this late. */
export const DELIVERY_SLACK_MS = 100;

export interface AcceptedAck {
  readonly channel: string;
  /** Run clock: when the acknowledged attempt was sent. */
  readonly sentAtMs: number;
  /** Run clock: when its SUCCESS arrived. */
  readonly atMs: number;
  /** The node whose Broadcast stream answered it (the leader itself, or a follower that forwarded it). */
  readonly node: number;
}

/** A node leading `ledChannels` cut off from every other node (partition from all, SIGSTOP) from `startedMs` until `healedMs`. */
export interface CutOffLeader {
  readonly startedMs: number;
  readonly healedMs: number;
  readonly ledChannels: readonly string[];
}

/** Until when a leader crash may take the envelope: LOSS_WINDOW_MS after its acknowledgement, or after the heal of a cut-off leader of its channel that may have held it. */
export function lossWindowEnd(ack: AcceptedAck, cutOffs: readonly CutOffLeader[]): number {
  let end = ack.atMs + LOSS_WINDOW_MS;
  for (const cut of [...cutOffs].sort((a, b) => a.startedMs - b.startedMs)) {
    const mayHoldIt = cut.ledChannels.includes(ack.channel) && cut.startedMs <= end && cut.healedMs >= ack.sentAtMs;
    if (mayHoldIt) end = Math.max(end, cut.healedMs + LOSS_WINDOW_MS);
  }
  return end;
}

/** The crash of a leader of `ack.channel` that explains losing it, or undefined when none can. */
export function crashThatLost(ack: AcceptedAck, crashes: readonly CrashEvent[], cutOffs: readonly CutOffLeader[] = []): CrashEvent | undefined {
  const windowEnd = lossWindowEnd(ack, cutOffs);
  return crashes.find((crash) => {
    if (!crash.ledChannels.includes(ack.channel)) return false;
    if ((crash.sinceMs ?? crash.atMs) > windowEnd) return false;
    // A killed node sent nothing after its death; a node halted by a full disk lives on, and an
    // answer it queued before the halt may reach the client well after it.
    const killedAnswering = crash.node === ack.node && crash.sinceMs === undefined;
    const earliest = killedAnswering ? ack.atMs - DELIVERY_SLACK_MS : ack.sentAtMs;
    return crash.atMs >= earliest;
  });
}
