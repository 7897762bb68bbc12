// The difference between two config trees as Fabric's configtxlator
// compute_update expresses it, and the next config with Fabric's version
// rules applied: an element whose content changes gets version + 1, a new
// element version 0, and a group whose membership (set of keys) or mod_policy
// changes gets version + 1. Unchanged elements keep their version.
//
// Approximation (see CONFIGTX.md): the read set lists the versions of the
// groups on the path to each change; the write set holds changed elements,
// and, for a group whose membership changed, all of its direct members (so
// the new membership is explicit). Fabric's own computation adds unchanged
// members to the read set in more cases; this orderer does not evaluate read
// sets, it validates the resulting full config.

import { Buffer } from 'node:buffer';
import type { ConfigGroup, ConfigPolicy, ConfigValue } from './model.js';

export interface GroupUpdate {
  readonly readSet: ConfigGroup;
  readonly writeSet: ConfigGroup;
  /** `updated`'s content with the versions Fabric would give it. */
  readonly merged: ConfigGroup;
}

const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean =>
  a === undefined || b === undefined ? a === b : Buffer.compare(a, b) === 0;

const sameValue = (a: ConfigValue, b: ConfigValue): boolean => a.modPolicy === b.modPolicy && sameBytes(a.value, b.value);
const samePolicy = (a: ConfigPolicy, b: ConfigPolicy): boolean => a.modPolicy === b.modPolicy && sameBytes(a.policy, b.policy);

const sameKeys = (a: ReadonlyMap<string, unknown>, b: ReadonlyMap<string, unknown>): boolean =>
  a.size === b.size && [...a.keys()].every((k) => b.has(k));

/** Undefined when `updated` says the same as `original`. */
export function computeGroupUpdate(original: ConfigGroup, updated: ConfigGroup): GroupUpdate | undefined {
  const values = mergeLeaves(original.values, updated.values, sameValue);
  const policies = mergeLeaves(original.policies, updated.policies, samePolicy);
  const mergedGroups = new Map<string, ConfigGroup>();
  const readGroups = new Map<string, ConfigGroup>();
  const writeGroups = new Map<string, ConfigGroup>();
  for (const [key, group] of updated.groups) {
    const before = original.groups.get(key);
    if (before === undefined) {
      mergedGroups.set(key, group);
      writeGroups.set(key, group);
      continue;
    }
    const sub = computeGroupUpdate(before, group);
    mergedGroups.set(key, sub?.merged ?? before);
    if (sub !== undefined) {
      readGroups.set(key, sub.readSet);
      writeGroups.set(key, sub.writeSet);
    }
  }
  const membershipChanged =
    !sameKeys(original.values, updated.values) || !sameKeys(original.policies, updated.policies) || !sameKeys(original.groups, updated.groups);
  const ownChange = membershipChanged || original.modPolicy !== updated.modPolicy;
  if (!ownChange && values.changed.size === 0 && policies.changed.size === 0 && writeGroups.size === 0) return undefined;

  const version = ownChange ? original.version + 1 : original.version;
  const merged: ConfigGroup = { version, groups: mergedGroups, values: values.merged, policies: policies.merged, modPolicy: updated.modPolicy };
  const readSet: ConfigGroup = { version: original.version, groups: readGroups, values: new Map(), policies: new Map(), modPolicy: '' };
  const writeSet: ConfigGroup = ownChange
    ? { version, groups: membersOf(mergedGroups, writeGroups), values: values.merged, policies: policies.merged, modPolicy: updated.modPolicy }
    : { version, groups: writeGroups, values: values.changed, policies: policies.changed, modPolicy: updated.modPolicy };
  return { readSet, writeSet, merged };
}

function mergeLeaves<T extends { readonly version: number }>(
  before: ReadonlyMap<string, T>,
  after: ReadonlyMap<string, T>,
  same: (a: T, b: T) => boolean,
): { merged: Map<string, T>; changed: Map<string, T> } {
  const merged = new Map<string, T>();
  const changed = new Map<string, T>();
  for (const [key, leaf] of after) {
    const old = before.get(key);
    if (old !== undefined && same(old, leaf)) {
      merged.set(key, old);
      continue;
    }
    const next = { ...leaf, version: old === undefined ? 0 : old.version + 1 };
    merged.set(key, next);
    changed.set(key, next);
  }
  return { merged, changed };
}

/** Every member group: changed ones as written, unchanged ones as a version-only reference. */
function membersOf(merged: ReadonlyMap<string, ConfigGroup>, written: ReadonlyMap<string, ConfigGroup>): Map<string, ConfigGroup> {
  const out = new Map<string, ConfigGroup>();
  for (const [key, group] of merged) {
    out.set(key, written.get(key) ?? { version: group.version, groups: new Map(), values: new Map(), policies: new Map(), modPolicy: '' });
  }
  return out;
}
