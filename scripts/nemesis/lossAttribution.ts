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
// so its own answers may arrive after the halt.

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

/** The crash of a leader of `ack.channel` that explains losing it, or undefined when none can. */
export function crashThatLost(ack: AcceptedAck, crashes: readonly CrashEvent[]): CrashEvent | undefined {
  return crashes.find((crash) => {
    if (!crash.ledChannels.includes(ack.channel)) return false;
    if ((crash.sinceMs ?? crash.atMs) > ack.atMs + LOSS_WINDOW_MS) return false;
    // A killed node sent nothing after its death; a node halted by a full disk lives on, and an
    // answer it queued before the halt may reach the client well after it.
    const killedAnswering = crash.node === ack.node && crash.sinceMs === undefined;
    const earliest = killedAnswering ? ack.atMs - DELIVERY_SLACK_MS : ack.sentAtMs;
    return crash.atMs >= earliest;
  });
}
