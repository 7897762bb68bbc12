// The difference between two config trees as Fabric's configtxlator
// compute_update expresses it (common/tools/configtxlator/update):
// - a value or policy whose content or mod_policy changes is written at
//   version + 1, a new one at version 0; unchanged ones appear nowhere;
// - a group whose membership (set of keys) or mod_policy changes is read at
//   its version and written at version + 1, listing ALL its members: the
//   unchanged ones in both sets at their version with no content (the
//   orderer keeps them as they are), a removed one simply absent;
// - a group with changes below it only is in both sets at its version;
// - a new group is written whole.
// `merged` is `updated` with the versions the orderer will give it.

import { Buffer } from 'node:buffer';
import type { ConfigGroup, ConfigPolicy, ConfigValue } from './model.js';

export interface GroupUpdate {
  readonly readSet: ConfigGroup;
  readonly writeSet: ConfigGroup;
  /** `updated`'s content with the versions Fabric would give it. */
  readonly merged: ConfigGroup;
}

const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean =>
  a === undefined || b === undefined ? (a?.length ?? 0) === (b?.length ?? 0) : Buffer.compare(a, b) === 0;

const sameValue = (a: ConfigValue, b: ConfigValue): boolean => a.modPolicy === b.modPolicy && sameBytes(a.value, b.value);
const samePolicy = (a: ConfigPolicy, b: ConfigPolicy): boolean => a.modPolicy === b.modPolicy && sameBytes(a.policy, b.policy);
const versionOnlyGroup = (version: number): ConfigGroup => ({ version, groups: new Map(), values: new Map(), policies: new Map(), modPolicy: '' });

interface LeafDiff<T> {
  readonly merged: Map<string, T>;
  readonly changed: Map<string, T>;
  /** Unchanged members as version-only references. */
  readonly same: Map<string, T>;
  readonly membersChanged: boolean;
}

/** Undefined when `updated` says the same as `original`. */
export function computeGroupUpdate(original: ConfigGroup, updated: ConfigGroup): GroupUpdate | undefined {
  const values = diffLeaves(original.values, updated.values, sameValue, (v) => ({ version: v, value: new Uint8Array(0), modPolicy: '' }));
  const policies = diffLeaves(original.policies, updated.policies, samePolicy, (v) => ({ version: v, modPolicy: '' }));
  const mergedGroups = new Map<string, ConfigGroup>();
  const readGroups = new Map<string, ConfigGroup>();
  const writeGroups = new Map<string, ConfigGroup>();
  const sameGroups = new Map<string, ConfigGroup>();
  for (const [key, group] of updated.groups) {
    const before = original.groups.get(key);
    if (before === undefined) {
      mergedGroups.set(key, group);
      writeGroups.set(key, group);
      continue;
    }
    const sub = computeGroupUpdate(before, group);
    mergedGroups.set(key, sub?.merged ?? before);
    if (sub === undefined) {
      sameGroups.set(key, versionOnlyGroup(before.version));
    } else {
      readGroups.set(key, sub.readSet);
      writeGroups.set(key, sub.writeSet);
    }
  }
  const groupsChanged = original.groups.size !== updated.groups.size || [...original.groups.keys()].some((k) => !updated.groups.has(k));
  const ownChange = values.membersChanged || policies.membersChanged || groupsChanged || original.modPolicy !== updated.modPolicy;
  if (!ownChange && values.changed.size === 0 && policies.changed.size === 0 && writeGroups.size === 0) return undefined;

  const version = ownChange ? original.version + 1 : original.version;
  const merged: ConfigGroup = { version, groups: mergedGroups, values: values.merged, policies: policies.merged, modPolicy: updated.modPolicy };
  if (!ownChange) {
    return {
      readSet: { ...versionOnlyGroup(version), groups: readGroups },
      writeSet: { ...versionOnlyGroup(version), groups: writeGroups, values: values.changed, policies: policies.changed },
      merged,
    };
  }
  // Members in the updated group's order, so the orderer rebuilds the group in that order.
  const union = <T>(order: ReadonlyMap<string, unknown>, a: ReadonlyMap<string, T>, b: ReadonlyMap<string, T>) =>
    new Map([...order.keys()].filter((k) => a.has(k) || b.has(k)).map((k) => [k, a.get(k) ?? b.get(k)!]));
  return {
    readSet: { ...versionOnlyGroup(original.version), groups: union(mergedGroups, readGroups, sameGroups), values: values.same, policies: policies.same },
    writeSet: {
      version,
      groups: union(mergedGroups, writeGroups, sameGroups),
      values: union(values.merged, values.changed, values.same),
      policies: union(policies.merged, policies.changed, policies.same),
      modPolicy: updated.modPolicy,
    },
    merged,
  };
}

function diffLeaves<T extends { readonly version: number }>(
  before: ReadonlyMap<string, T>,
  after: ReadonlyMap<string, T>,
  same: (a: T, b: T) => boolean,
  reference: (version: number) => T,
): LeafDiff<T> {
  const merged = new Map<string, T>();
  const changed = new Map<string, T>();
  const unchanged = new Map<string, T>();
  let membersChanged = before.size !== after.size;
  for (const [key, leaf] of after) {
    const old = before.get(key);
    if (old === undefined) membersChanged = true;
    if (old !== undefined && same(old, leaf)) {
      merged.set(key, old);
      unchanged.set(key, reference(old.version));
      continue;
    }
    const next = { ...leaf, version: old === undefined ? 0 : old.version + 1 };
    merged.set(key, next);
    changed.set(key, next);
  }
  return { merged, changed, same: unchanged, membersChanged };
}
