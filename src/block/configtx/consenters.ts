// Consenter identity across config changes, as Fabric's etcdraft does
// (ComputeMembershipChanges, CreateConsentersMap): a consenter IS its client
// TLS certificate; Raft node ids live in the etcdraft block metadata
// (consenter_ids, next_consenter_id), not in the config. At most one consenter
// may be added, removed or rotated (one leaves, one arrives: the newcomer
// takes the leaver's id) per config update. A consenter whose client cert is
// unchanged keeps its id even if its host, port or server cert change.

import { Buffer } from 'node:buffer';
import { decodePemBlocks } from '../../crypto/index.js';
import { OrdererError } from '../../errors.js';
import { readBlockSignatures } from '../blockMetadata.js';
import type { Block } from '../model.js';
import type { ConsenterValues } from './channelValues.js';
import { ConfigTransitionError } from './errors.js';

/** The etcdraft BlockMetadata part that maps config consenters to Raft node ids. */
export interface ConsenterIds {
  /** consenterIds[i] is the Raft id of consenters[i] (Fabric's positional mapping). */
  readonly consenterIds: readonly number[];
  /** Invariant: greater than every id ever given out on the channel. */
  readonly nextConsenterId: number;
}

export interface IdentifiedConsenter {
  readonly id: number;
  readonly consenter: ConsenterValues;
}

export interface ConsenterDiff {
  readonly added?: IdentifiedConsenter;
  readonly removed?: IdentifiedConsenter;
  /** Same id, new client TLS certificate (and possibly a new endpoint). */
  readonly rotated?: { readonly id: number; readonly from: ConsenterValues; readonly to: ConsenterValues };
  /** Same client certificate, another host, port or server certificate: no Raft change. */
  readonly endpointsChanged: readonly { readonly id: number; readonly from: ConsenterValues; readonly to: ConsenterValues }[];
}

/** Ids of a new channel's consenters: 1..n in config order, next n + 1 (Fabric's ReadBlockMetadata(nil, ...)). */
export function initialConsenterIds(consenters: readonly ConsenterValues[]): ConsenterIds {
  return { consenterIds: consenters.map((_, i) => i + 1), nextConsenterId: consenters.length + 1 };
}

/** The key a consenter is known by: the DER of its client TLS certificate (PEM whitespace does not matter). */
export function consenterKey(consenter: ConsenterValues): string {
  try {
    const blocks = decodePemBlocks(consenter.clientTlsCertPem, 'client TLS certificate');
    if (blocks.length > 0) return Buffer.from(blocks[0]!.der).toString('base64');
  } catch (err) {
    // Not PEM: fall back to the raw bytes, as Fabric compares them.
    if (!(err instanceof OrdererError)) throw err;
  }
  return `raw:${consenter.clientTlsCertPem}`;
}

/**
 * What changes from `current` (with its ids) to `next`. Throws
 * ConfigTransitionError('one-consenter-change') when more than one consenter
 * is added or removed, naming them.
 */
export function diffConsenters(current: readonly ConsenterValues[], ids: ConsenterIds, next: readonly ConsenterValues[]): ConsenterDiff {
  if (ids.consenterIds.length !== current.length) {
    throw new OrdererError('BAD_CONSENTER_IDS', `block metadata has ${ids.consenterIds.length} consenter ids for ${current.length} consenters`);
  }
  const currentByKey = new Map(current.map((c, i) => [consenterKey(c), { id: ids.consenterIds[i]!, consenter: c }]));
  const nextKeys = new Set<string>();
  const added: ConsenterValues[] = [];
  const endpointsChanged: { id: number; from: ConsenterValues; to: ConsenterValues }[] = [];
  for (const c of next) {
    const key = consenterKey(c);
    nextKeys.add(key);
    const existing = currentByKey.get(key);
    if (existing === undefined) added.push(c);
    else if (!sameEndpoint(existing.consenter, c)) endpointsChanged.push({ id: existing.id, from: existing.consenter, to: c });
  }
  const removed = [...currentByKey.entries()].filter(([key]) => !nextKeys.has(key)).map(([, entry]) => entry);
  if (added.length > 1 || removed.length > 1) {
    const describe = (list: readonly ConsenterValues[]) => list.map((c) => `${c.host}:${c.port}`).join(', ') || 'none';
    throw new ConfigTransitionError(
      'one-consenter-change',
      `update of more than one consenter at a time is not supported (added: ${describe(added)}; removed: ${describe(removed.map((r) => r.consenter))})`,
    );
  }
  const [arrived] = added;
  const [left] = removed;
  if (arrived !== undefined && left !== undefined) return { rotated: { id: left.id, from: left.consenter, to: arrived }, endpointsChanged };
  if (arrived !== undefined) return { added: { id: ids.nextConsenterId, consenter: arrived }, endpointsChanged };
  if (left !== undefined) return { removed: left, endpointsChanged };
  return { endpointsChanged };
}

/** The ids after moving from `current` to `next` (aligned with `next`'s order). Same errors as diffConsenters. */
export function assignConsenterIds(current: readonly ConsenterValues[], ids: ConsenterIds, next: readonly ConsenterValues[]): ConsenterIds {
  const diff = diffConsenters(current, ids, next);
  const idByKey = new Map(current.map((c, i) => [consenterKey(c), ids.consenterIds[i]!]));
  const consenterIds = next.map((c) => {
    const id = idByKey.get(consenterKey(c));
    if (id !== undefined) return id;
    return diff.rotated?.id ?? diff.added!.id;
  });
  return { consenterIds, nextConsenterId: diff.added === undefined ? ids.nextConsenterId : ids.nextConsenterId + 1 };
}

function sameEndpoint(a: ConsenterValues, b: ConsenterValues): boolean {
  return a.host === b.host && a.port === b.port && a.serverTlsCertPem === b.serverTlsCertPem;
}

/**
 * The consenter ids a block was written with (its etcdraft block metadata),
 * or, for a block without (a genesis block), Fabric's initial 1..n.
 */
export function consenterIdsOf(block: Block, consenters: readonly ConsenterValues[]): ConsenterIds {
  const etcdraft = readBlockSignatures(block).etcdraft;
  if (etcdraft === undefined) return initialConsenterIds(consenters);
  return { consenterIds: etcdraft.consenterIds, nextConsenterId: etcdraft.nextConsenterId };
}
