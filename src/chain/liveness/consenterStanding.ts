// Where a config block leaves this node (eviction suspicion, Fabric's
// etcdraft eviction.go `amIInChannel`): a node is named among a config's
// consenters by its cluster TLS certificate, as Fabric does, and its Raft id
// is the one the config block's etcdraft metadata gives that consenter
// (configtx consenterIdsOf; block 0: 1..n in config order). A consenter removed
// and added again (same certificate) gets a NEW id (next_consenter_id), so the
// certificate may be listed under another id than the one this node runs as.

import { consenterIdsOf, extractChannelConfig } from '../../block/index.js';
import type { Block } from '../../block/index.js';
import { publicKeyOfCertificate } from '../../cluster/index.js';

export type ConsenterStanding =
  /** The config lists this node under the Raft id it runs as. */
  | { readonly kind: 'member'; readonly consenters: readonly number[] }
  /** The config does not list this node: it was removed. */
  | { readonly kind: 'evicted'; readonly consenters: readonly number[] }
  /** The config lists this node's certificate under another Raft id: removed and added again. */
  | { readonly kind: 'readded'; readonly newId: number; readonly consenters: readonly number[] };

export interface StandingSelf {
  /** The Raft id this node runs the channel as. */
  readonly id: number;
  /**
   * This node's cluster TLS certificate (PEM). Absent (in-process tests
   * without certificates): the node is named by its Raft id alone, so a
   * re-added node reads as evicted.
   */
  readonly tlsCertPem?: string;
}

/**
 * This node's standing in `configBlock`. Throws OrdererError (ChannelConfigError,
 * MalformedMessageError) when the block carries no readable channel config.
 */
export function standingIn(configBlock: Block, self: StandingSelf): ConsenterStanding {
  const values = extractChannelConfig(configBlock);
  const consenters = [...consenterIdsOf(configBlock, values.consenters).consenterIds];
  if (self.tlsCertPem === undefined) {
    return consenters.includes(self.id) ? { kind: 'member', consenters } : { kind: 'evicted', consenters };
  }
  const selfKey = publicKeyOfCertificate(self.tlsCertPem);
  const at = values.consenters.findIndex((c) => sameKey(c.clientTlsCertPem, selfKey));
  if (at < 0) return { kind: 'evicted', consenters };
  const id = consenters[at]!;
  return id === self.id ? { kind: 'member', consenters } : { kind: 'readded', newId: id, consenters };
}

/** A consenter entry whose certificate does not parse is not this node (the config's validator admitted it; we only compare). */
function sameKey(certPem: string, key: Buffer): boolean {
  let other: Buffer;
  try {
    other = publicKeyOfCertificate(certPem);
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    return false;
  }
  return other.equals(key);
}
