import type { Entry } from './types.js';

/**
 * Size of an entry for every byte limit of the core (maxSizePerMsg,
 * maxCommittedSizePerReady, maxUncommittedEntriesSize, Storage.entries):
 * the length of its data. etcd counts the protobuf encoding instead; we count
 * payload bytes so that every Storage implementation agrees without a codec.
 */
export function entryBytes(e: Entry): number {
  return e.data.length;
}

export function entriesBytes(ents: readonly Entry[]): number {
  let n = 0;
  for (const e of ents) n += e.data.length;
  return n;
}

/**
 * Cuts `ents` in place to its longest prefix whose total size does not exceed
 * `maxSizeBytes`, but at least one entry (so a single large entry still makes
 * progress), and returns it. Callers pass an array they own.
 */
export function limitSize<T extends Entry>(ents: T[], maxSizeBytes: number): T[] {
  if (ents.length <= 1 || maxSizeBytes === Infinity) return ents;
  let size = entryBytes(ents[0]!);
  for (let limit = 1; limit < ents.length; limit++) {
    size += entryBytes(ents[limit]!);
    if (size > maxSizeBytes) {
      ents.length = limit;
      return ents;
    }
  }
  return ents;
}
