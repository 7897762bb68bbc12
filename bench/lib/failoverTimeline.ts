// Where the time of one failover goes, read from the nodes' own log lines (same
// machine, one clock; pino stamps each line when it is logged, to the ms).
// Every time is ms since the fault (the bench's Date.now() just before kill/SIGSTOP).
//
//   seen       first survivor's "stream to consenter <old> ... broke" (the transport saw the close)
//   declared   the winner's "forgetting leader <old>" (redial refused, or grace over)
//   campaign   the winner's first "campaigning early" (after its rank's slot and jitter)
//   preVote    the winner's "became pre-candidate" -> "became candidate" (a PreVote round trip,
//              a quorum's hard states persisted)
//   vote       "became candidate" -> "became leader" (a vote round trip, votes persisted)
//   announce   "became leader" -> the last survivor's "raft leader changed: 0 -> winner"
//              (the leader's empty entry / heartbeat reaching a follower, or its own Ready)

import fs from 'node:fs';

export interface FailoverTimeline {
  readonly winner: number;
  /** Per survivor, when its transport logged the stream to the old leader broken. */
  readonly seenBy: ReadonlyMap<number, number>;
  readonly declared?: number;
  readonly campaign?: number;
  readonly preCandidate?: number;
  readonly candidate?: number;
  readonly leader?: number;
  /** Per survivor, when it logged the winner as leader. */
  readonly knownBy: ReadonlyMap<number, number>;
}

interface Line {
  readonly time: number;
  readonly msg: string;
}

function linesSince(file: string, since: number): Line[] {
  const out: Line[] = [];
  for (const text of fs.readFileSync(file, 'utf8').split('\n')) {
    if (text === '') continue;
    let entry: { time?: number; msg?: string };
    try {
      entry = JSON.parse(text) as { time?: number; msg?: string };
    } catch {
      continue; // a line cut by the kill
    }
    if (typeof entry.time === 'number' && typeof entry.msg === 'string' && entry.time >= since) out.push({ time: entry.time, msg: entry.msg });
  }
  return out;
}

/** Reads the failover of leader `old` to `winner` from the survivors' logs since epoch ms `since`. */
export function failoverTimeline(logFile: (id: number) => string, survivors: readonly number[], old: number, winner: number, since: number): FailoverTimeline {
  const seenBy = new Map<number, number>();
  const knownBy = new Map<number, number>();
  let declared: number | undefined;
  let campaign: number | undefined;
  let preCandidate: number | undefined;
  let candidate: number | undefined;
  let leader: number | undefined;
  for (const id of survivors) {
    const lines = linesSince(logFile(id), since);
    const first = (test: (msg: string) => boolean, after = -Infinity) => lines.find((l) => l.time >= after && test(l.msg))?.time;
    const seen = first((m) => m.startsWith(`stream to consenter ${old} `) && (m.includes(' broke') || m.includes(' failed')));
    if (seen !== undefined) seenBy.set(id, seen - since);
    const known = first((m) => m.endsWith(`-> ${winner}`) && m.startsWith('raft leader changed'));
    if (known !== undefined) knownBy.set(id, known - since);
    if (id !== winner) continue;
    const becameLeader = first((m) => m.startsWith(`${winner.toString(16)} became leader`));
    // The election that won: the last candidacy before it, and the pre-candidacy before that.
    const before = (test: (msg: string) => boolean) => lines.filter((l) => becameLeader !== undefined && l.time <= becameLeader && test(l.msg)).at(-1)?.time;
    candidate = before((m) => m.includes(' became candidate at term'));
    preCandidate = before((m) => m.includes(' became pre-candidate at term'));
    declared = first((m) => m.includes(`forgetting leader ${old.toString(16)}`));
    campaign = first((m) => m.endsWith('campaigning early'));
    leader = becameLeader;
  }
  const rel = (t: number | undefined) => (t === undefined ? undefined : t - since);
  return {
    winner,
    seenBy,
    knownBy,
    ...(declared !== undefined && { declared: rel(declared) }),
    ...(campaign !== undefined && { campaign: rel(campaign) }),
    ...(preCandidate !== undefined && { preCandidate: rel(preCandidate) }),
    ...(candidate !== undefined && { candidate: rel(candidate) }),
    ...(leader !== undefined && { leader: rel(leader) }),
  };
}

/** The phases' durations in ms (undefined where a step is not in the logs). */
export interface FailoverPhases {
  /** Fault -> the first survivor's transport saw the close. */
  readonly seen?: number;
  /** The last survivor saw it this much later than the first. */
  readonly spread?: number;
  /** -> the winner forgot the old leader (probe refused / grace over). */
  readonly declare?: number;
  /** -> the winner's early campaign (rank slot + jitter). */
  readonly delay?: number;
  /** Pre-candidate -> candidate. */
  readonly preVote?: number;
  /** Candidate -> leader. */
  readonly vote?: number;
  /** Leader -> the last survivor knows it. */
  readonly announce?: number;
}

export function phasesOf(t: FailoverTimeline): FailoverPhases {
  const seen = t.seenBy.size === 0 ? undefined : Math.min(...t.seenBy.values());
  const winnerSeen = t.seenBy.get(t.winner);
  const lastKnown = t.knownBy.size === 0 ? undefined : Math.max(...t.knownBy.values());
  const diff = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a - b);
  return {
    ...(seen !== undefined && { seen }),
    ...(seen !== undefined && t.seenBy.size > 1 && { spread: Math.max(...t.seenBy.values()) - seen }),
    ...(diff(t.declared, winnerSeen) !== undefined && { declare: diff(t.declared, winnerSeen) }),
    ...(diff(t.campaign, t.declared) !== undefined && { delay: diff(t.campaign, t.declared) }),
    ...(diff(t.candidate, t.preCandidate) !== undefined && { preVote: diff(t.candidate, t.preCandidate) }),
    ...(diff(t.leader, t.candidate) !== undefined && { vote: diff(t.leader, t.candidate) }),
    ...(diff(lastKnown, t.leader) !== undefined && { announce: diff(lastKnown, t.leader) }),
  };
}

const fmt = (v: number | undefined) => (v === undefined ? '-' : v.toFixed(0));

/** One line: the phases of one failover. */
export function describePhases(p: FailoverPhases): string {
  return `seen ${fmt(p.seen)} (last survivor +${fmt(p.spread)}), declare +${fmt(p.declare)}, delay +${fmt(p.delay)}, PreVote +${fmt(p.preVote)}, vote +${fmt(p.vote)}, announce +${fmt(p.announce)}`;
}
