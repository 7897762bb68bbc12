// Consenter changes as Raft sees them, as Fabric's etcdraft membership.go:
// the config's consenter ids against the Raft voters (what ConfChange is
// still to be proposed), and whether a change keeps a quorum of reachable
// voters (refused before it is ordered when it would not).

import { ConfChangeType, type ConfChange } from '../../raft/index.js';
import type { ChannelConfigState } from './channelConfig.js';
import { BadRequestError } from '../errors.js';

/**
 * The one Raft ConfChange that brings `voters` to the config's `consenterIds`,
 * or undefined when they agree. Configs change one consenter at a time
 * (configtx's one-consenter-change rule), so at most one id differs each way;
 * an addition is proposed before a removal (never below the config's size).
 */
export function pendingConfChange(consenterIds: readonly number[], voters: readonly number[]): ConfChange | undefined {
  const wanted = new Set(consenterIds);
  const have = new Set(voters);
  const toAdd = consenterIds.find((id) => !have.has(id));
  if (toAdd !== undefined) return { type: ConfChangeType.AddNode, nodeId: toAdd };
  const toRemove = voters.find((id) => !wanted.has(id));
  if (toRemove !== undefined) return { type: ConfChangeType.RemoveNode, nodeId: toRemove };
  return undefined;
}

/** Majority of `n` voters. */
export function quorumOf(n: number): number {
  return Math.floor(n / 2) + 1;
}

/**
 * Refuses (BadRequestError) a consenter change after which the voters this
 * leader can reach now would not form a quorum. `changing`: the id that
 * arrives, leaves or restarts with a new certificate (rotation) — counted as
 * unreachable, since it cannot vote until it (re)connects.
 */
export function checkQuorumAfterChange(nextVoters: readonly number[], changing: number, selfId: number, isReachable: (id: number) => boolean): void {
  const reachable = nextVoters.filter((id) => id !== changing && (id === selfId || isReachable(id)));
  const needed = quorumOf(nextVoters.length);
  if (reachable.length >= needed) return;
  const unreachable = nextVoters.filter((id) => !reachable.includes(id));
  throw new BadRequestError(
    `config update refused (quorum): after this consenter change ${nextVoters.length} voters need ${needed} to agree, ` +
      `but only ${reachable.length} are reachable (${reachable.join(', ') || 'none'}); unreachable or changing: ${unreachable.join(', ')}`,
  );
}

/** The voter to hand leadership to before this leader is removed: the one whose log matches most (ties: lowest id). */
export function transfereeOf(progress: ReadonlyMap<number, { readonly match: number }>, voters: readonly number[], selfId: number): number | undefined {
  let best: number | undefined;
  let bestMatch = -1;
  for (const id of [...voters].sort((a, b) => a - b)) {
    if (id === selfId) continue;
    const match = progress.get(id)?.match ?? 0;
    if (match > bestMatch) {
      best = id;
      bestMatch = match;
    }
  }
  return best;
}

/**
 * The consenter id whose TLS certificates `after` changes while keeping it
 * (a rotation: same Raft id, new client or server certificate), or
 * undefined. Configs change one consenter at a time, so there is at most one.
 */
export function rotatedConsenterOf(before: ChannelConfigState, after: ChannelConfigState): number | undefined {
  const certsOf = (state: ChannelConfigState, id: number): string | undefined => {
    const index = state.ids.consenterIds.indexOf(id);
    if (index < 0) return undefined;
    const consenter = state.values.consenters[index]!;
    return `${consenter.clientTlsCertPem}\n${consenter.serverTlsCertPem}`;
  };
  return after.ids.consenterIds.find((id) => {
    const previous = certsOf(before, id);
    return previous !== undefined && previous !== certsOf(after, id);
  });
}
