// Applies changed ChannelConfigValues to an existing config tree, touching
// only what changed. Everything this orderer does not model (ACLs, policies,
// Consortium, an MSP's signing identity or CRLs, unknown values) is kept as
// it is: rebuilding the tree from values would silently drop it.

import { isDeepStrictEqual } from 'node:util';
import type { ChannelConfigInput } from './build.js';
import { buildConfig } from './build.js';
import type { ChannelConfigValues, OrganizationSection, OrganizationValues } from './channelValues.js';
import type { ConfigGroup, ConfigValue } from './model.js';
import { decodeFabricMspConfig, decodeMspConfig } from './mspValue.js';

/**
 * `current` with the values of `next` that differ from `currentValues` (the
 * values extracted from `current`). Versions are left as they are; see
 * computeGroupUpdate for Fabric's version rules.
 */
export function patchConfigTree(current: ConfigGroup, currentValues: ChannelConfigValues, next: ChannelConfigInput): ConfigGroup {
  const built = buildConfig(next).channelGroup!;
  const changed = <K extends keyof ChannelConfigInput>(key: K): boolean => !isDeepStrictEqual(currentValues[key], next[key]);
  const capabilitiesChanged = (section: keyof ChannelConfigValues['capabilities']) =>
    !isDeepStrictEqual(currentValues.capabilities[section], next.capabilities[section]);

  let channel = current;
  if (changed('hashAlgorithm')) channel = takeValue(channel, built, 'HashingAlgorithm');
  if (changed('ordererAddresses')) channel = takeValue(channel, built, 'OrdererAddresses');
  if (capabilitiesChanged('channel')) channel = takeValue(channel, built, 'Capabilities');

  let ordererGroup = channel.groups.get('Orderer')!;
  const builtOrderer = built.groups.get('Orderer')!;
  if (changed('batchSize')) ordererGroup = takeValue(ordererGroup, builtOrderer, 'BatchSize');
  if (changed('batchTimeoutMs')) ordererGroup = takeValue(ordererGroup, builtOrderer, 'BatchTimeout');
  if (changed('consenters') || changed('raftOptions') || changed('consensusType')) ordererGroup = takeValue(ordererGroup, builtOrderer, 'ConsensusType');
  if (capabilitiesChanged('orderer')) ordererGroup = takeValue(ordererGroup, builtOrderer, 'Capabilities');
  ordererGroup = patchOrganizations(ordererGroup, builtOrderer, currentValues, next, 'orderer');
  channel = withGroup(channel, 'Orderer', ordererGroup);

  const builtApplication = built.groups.get('Application');
  let application = channel.groups.get('Application');
  if (application === undefined && builtApplication !== undefined) {
    channel = withGroup(channel, 'Application', builtApplication);
  } else if (application !== undefined && builtApplication !== undefined) {
    if (capabilitiesChanged('application')) application = takeValue(application, builtApplication, 'Capabilities');
    channel = withGroup(channel, 'Application', patchOrganizations(application, builtApplication, currentValues, next, 'application'));
  } else if (application !== undefined) {
    const groups = new Map(channel.groups);
    groups.delete('Application');
    channel = { ...channel, groups };
  }
  return channel;
}

function patchOrganizations(
  group: ConfigGroup,
  built: ConfigGroup,
  currentValues: ChannelConfigValues,
  next: ChannelConfigInput,
  section: OrganizationSection,
): ConfigGroup {
  const inSection = (orgs: readonly OrganizationValues[]) => new Map(orgs.filter((o) => o.sections.includes(section)).map((o) => [o.mspId, o]));
  const before = inSection(currentValues.organizations);
  const after = inSection(next.organizations);
  // Org groups are found by the MSP id they define (a group name may differ from it).
  const groups = new Map<string, ConfigGroup>();
  const present = new Set<string>();
  for (const [name, org] of group.groups) {
    const mspId = mspIdOf(org) ?? name;
    present.add(mspId);
    const wanted = after.get(mspId);
    if (wanted === undefined) continue; // removed
    const old = before.get(mspId);
    groups.set(name, old !== undefined && sameOrg(old, wanted) ? org : replaceOrgValues(org, built.groups.get(mspId)!));
  }
  for (const [mspId] of after) {
    if (!present.has(mspId)) groups.set(mspId, built.groups.get(mspId)!);
  }
  return { ...group, groups };
}

function mspIdOf(group: ConfigGroup): string | undefined {
  const msp = group.values.get('MSP');
  if (msp === undefined) return undefined;
  const ctx = { code: 'BAD_PROTOBUF', path: 'MSP' } as const;
  return decodeFabricMspConfig(decodeMspConfig(msp.value, ctx).config, ctx).name;
}

function sameOrg(a: OrganizationValues, b: OrganizationValues): boolean {
  const { sections: _a, ...restA } = a;
  const { sections: _b, ...restB } = b;
  return isDeepStrictEqual(restA, restB);
}

function replaceOrgValues(org: ConfigGroup, built: ConfigGroup): ConfigGroup {
  let out = takeValue(org, built, 'MSP');
  if (built.values.has('Endpoints') || org.values.has('Endpoints')) out = takeValue(out, built, 'Endpoints');
  return out;
}

/** `group` with its value `name` as in `source` (removed when `source` has none). Keeps the key's position. */
function takeValue(group: ConfigGroup, source: ConfigGroup, name: string): ConfigGroup {
  const values = new Map<string, ConfigValue>(group.values);
  const replacement = source.values.get(name);
  if (replacement === undefined) values.delete(name);
  else values.set(name, replacement);
  return { ...group, values };
}

function withGroup(parent: ConfigGroup, name: string, group: ConfigGroup): ConfigGroup {
  return { ...parent, groups: new Map(parent.groups).set(name, group) };
}
