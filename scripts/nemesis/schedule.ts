// The seeded fault schedule: which kind of fault comes next, whom it hits
// (by role, resolved against the cluster when it starts: the leader or a
// follower of one channel), how long it lasts, the pause after recovery.
// The same seed gives the same schedule; with real processes the
// interleaving with elections and load still varies from run to run.

import { seededRandom } from '../../src/raft/index.js';
import type { FaultKind, NemesisOptions } from './options.js';

export interface PlannedFault {
  readonly index: number;
  readonly kind: FaultKind;
  /** Whom it hits: the leader or a follower of channel `channel` (an index into the channels). */
  readonly role: 'leader' | 'follower';
  readonly channel: number;
  /** Partition and slow link: which of the other nodes (an index into them) is the other end; -1: all of them. */
  readonly peer: number;
  /** How long the node stays down / stopped / cut off, or the link slow. */
  readonly durationMs: number;
  /** A slow link's one-way delay per chunk. */
  readonly delayMs: number;
  /** Pause after the cluster is healthy again, before the next fault. */
  readonly pauseMs: number;
  /** For choices made at run time (e.g. which follower). */
  readonly pick: number;
}

const WEIGHTS: Readonly<Record<FaultKind, number>> = { kill9: 4, stop: 2, term: 1, wipe: 1, partition: 2, slow: 1, member: 1, disk: 1 };

/** An endless schedule for `options` (the run takes faults while time is left). */
export function* faultSchedule(options: NemesisOptions): Generator<PlannedFault> {
  const random = seededRandom(options.seed);
  const kinds = options.faults;
  const total = kinds.reduce((sum, k) => sum + WEIGHTS[k], 0);
  const electionMs = options.tickIntervalMs * options.electionTick;
  for (let index = 0; ; index++) {
    let roll = random() * total;
    const kind = kinds.find((k) => (roll -= WEIGHTS[k]) < 0) ?? kinds[kinds.length - 1]!;
    // Rolled even when the target is fixed, so --target changes whom a fault hits, not the rest of the schedule.
    const rolledRole = random() < 0.6 ? 'leader' : 'follower';
    yield {
      index,
      kind,
      role: options.target === 'any' ? rolledRole : options.target,
      channel: Math.floor(random() * options.channels),
      peer: random() < 0.5 ? -1 : Math.floor(random() * (options.nodes - 1)),
      durationMs: Math.round(electionMs * (0.5 + random() * 3.5)),
      delayMs: Math.round(20 + random() * electionMs * 0.4),
      pauseMs: Math.round(random() * electionMs),
      pick: Math.floor(random() * 1000),
    };
  }
}
