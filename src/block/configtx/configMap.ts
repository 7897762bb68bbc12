// A config tree as Fabric's configtx flattens it (configmap.go): one entry
// per group, value and policy, keyed "[Group]  /Channel/Orderer",
// "[Value]  /Channel/Orderer/BatchSize", "[Policy] /Channel/Orderer/Admins",
// and the tree rebuilt from such a map: a group's members are the keys its
// own entry lists, each taken from the map. Keys must be Fabric config ids
// (1..249 of [a-zA-Z0-9._-], not "." or "..").

import { ChannelConfigError } from './errors.js';
import type { ConfigGroup, ConfigPolicy, ConfigValue } from './model.js';

export const GROUP_PREFIX = '[Group]  ';
export const VALUE_PREFIX = '[Value]  ';
export const POLICY_PREFIX = '[Policy] ';
export const ROOT_KEY = 'Channel';

export type ConfigElement =
  | { readonly kind: 'group'; readonly key: string; readonly path: readonly string[]; readonly group: ConfigGroup }
  | { readonly kind: 'value'; readonly key: string; readonly path: readonly string[]; readonly value: ConfigValue }
  | { readonly kind: 'policy'; readonly key: string; readonly path: readonly string[]; readonly policy: ConfigPolicy };

export const versionOf = (e: ConfigElement): number => (e.kind === 'group' ? e.group.version : e.kind === 'value' ? e.value.version : e.policy.version);
export const modPolicyOf = (e: ConfigElement): string => (e.kind === 'group' ? e.group.modPolicy : e.kind === 'value' ? e.value.modPolicy : e.policy.modPolicy);

const CONFIG_ID = /^[a-zA-Z0-9._-]+$/;
const CONFIG_ID_MAX = 249;

/** Fabric's validateConfigID; undefined when `id` is fine, else why not. */
export function configIdProblem(id: string): string | undefined {
  if (id.length === 0) return 'config ID illegal, cannot be empty';
  if (id.length > CONFIG_ID_MAX) return `config ID illegal, cannot be longer than ${CONFIG_ID_MAX}`;
  if (id === '.' || id === '..') return `name '${id}' for config ID is not allowed`;
  if (!CONFIG_ID.test(id)) return `config ID '${id}' contains illegal characters`;
  return undefined;
}

function keyOf(e: ConfigElement): string {
  const prefix = e.kind === 'group' ? GROUP_PREFIX : e.kind === 'value' ? VALUE_PREFIX : POLICY_PREFIX;
  return `${prefix}/${[...e.path, e.key].join('/')}`;
}

/** The flattened tree; `undefined` gives an empty map. Throws ChannelConfigError for an illegal key. */
export function mapConfig(channelGroup: ConfigGroup | undefined, what: string): Map<string, ConfigElement> {
  const out = new Map<string, ConfigElement>();
  if (channelGroup !== undefined) recurse(out, [ROOT_KEY], channelGroup, what);
  return out;
}

function add(out: Map<string, ConfigElement>, e: ConfigElement, what: string): void {
  const problem = configIdProblem(e.key);
  if (problem !== undefined) throw new ChannelConfigError(what, `illegal characters in key: ${keyOf(e)}: ${problem}`);
  out.set(keyOf(e), e);
}

function recurse(out: Map<string, ConfigElement>, path: readonly string[], group: ConfigGroup, what: string): void {
  add(out, { kind: 'group', key: path[path.length - 1]!, path: path.slice(0, -1), group }, what);
  for (const [key, sub] of group.groups) recurse(out, [...path, key], sub, what);
  for (const [key, value] of group.values) add(out, { kind: 'value', key, path, value }, what);
  for (const [key, policy] of group.policies) add(out, { kind: 'policy', key, path, policy }, what);
}

/** The tree a map describes, from its root group. Throws ChannelConfigError naming a missing member. */
export function configFromMap(map: ReadonlyMap<string, ConfigElement>): ConfigGroup {
  return rebuild(`/${ROOT_KEY}`, map);
}

function rebuild(path: string, map: ReadonlyMap<string, ConfigElement>): ConfigGroup {
  const entry = map.get(GROUP_PREFIX + path);
  if (entry === undefined || entry.kind !== 'group') throw new ChannelConfigError('config', `missing group at path: ${GROUP_PREFIX}${path}`);
  const source = entry.group;
  const groups = new Map<string, ConfigGroup>();
  for (const key of source.groups.keys()) groups.set(key, rebuild(`${path}/${key}`, map));
  const values = new Map<string, ConfigValue>();
  for (const key of source.values.keys()) {
    const e = map.get(`${VALUE_PREFIX}${path}/${key}`);
    if (e === undefined || e.kind !== 'value') throw new ChannelConfigError('config', `missing value at path: ${VALUE_PREFIX}${path}/${key}`);
    values.set(key, e.value);
  }
  const policies = new Map<string, ConfigPolicy>();
  for (const key of source.policies.keys()) {
    const e = map.get(`${POLICY_PREFIX}${path}/${key}`);
    if (e === undefined || e.kind !== 'policy') throw new ChannelConfigError('config', `missing policy at path: ${POLICY_PREFIX}${path}/${key}`);
    policies.set(key, e.policy);
  }
  return { version: source.version, modPolicy: source.modPolicy, groups, values, policies };
}
