// Majority quorum arithmetic over one set of voters (no joint consensus).

export enum VoteResult {
  Pending = 1,
  Lost = 2,
  Won = 3,
}

/**
 * The highest index acknowledged by a majority of `voters`, where `acked`
 * gives each voter's acknowledged index (missing = 0). Infinity for no voters
 * (an empty config places no constraint).
 */
export function committedIndex(voters: ReadonlySet<number>, acked: (id: number) => number | undefined): number {
  const n = voters.size;
  if (n === 0) return Infinity;
  // Runs on every acknowledgement: sort into a reused scratch array
  // (insertion sort; clusters have a handful of voters), no allocation.
  if (scratch.length < n) scratch = new Array<number>(n).fill(0);
  let k = 0;
  for (const id of voters) {
    const v = acked(id) ?? 0;
    let j = k++;
    while (j > 0 && scratch[j - 1]! > v) {
      scratch[j] = scratch[j - 1]!;
      j--;
    }
    scratch[j] = v;
  }
  return scratch[n - (Math.floor(n / 2) + 1)]!;
}

let scratch: number[] = new Array<number>(8).fill(0);

/** Won with a majority of yes votes, Lost once that is impossible, else Pending. */
export function voteResult(voters: ReadonlySet<number>, votes: ReadonlyMap<number, boolean>): VoteResult {
  if (voters.size === 0) return VoteResult.Won;
  let yes = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) yes++;
  }
  const q = Math.floor(voters.size / 2) + 1;
  if (yes >= q) return VoteResult.Won;
  if (yes + missing >= q) return VoteResult.Pending;
  return VoteResult.Lost;
}

/** "(1 2 3)": ids sorted, in hex as etcd prints them. */
export function describeIdSet(ids: ReadonlySet<number>): string {
  return `(${sortedIds(ids)
    .map((id) => id.toString(16))
    .join(' ')})`;
}

export function sortedIds(ids: Iterable<number>): number[] {
  return Array.from(ids).sort((a, b) => a - b);
}
