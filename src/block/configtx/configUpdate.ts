// Fabric's config update processing (common/configtx ProposeConfigUpdate,
// update.go): from a CONFIG_UPDATE envelope and the current config to the
// next config, or a refusal with Fabric's reason.
//  1. the envelope is a CONFIG_UPDATE whose ConfigUpdate is for this channel;
//  2. read set: every element it names exists at exactly that version;
//  3. delta set: write-set elements whose version differs from the read set's;
//     empty is refused;
//  4. each delta element: a valid mod_policy; version current + 1 (a new one:
//     0); the CURRENT element's mod_policy (relative to its group, or
//     absolute) satisfied by the ConfigSignatures (each over
//     signature_header ‖ config_update, signer checked against the channel's
//     MSPs);
//  5. the next config: the current map with the delta applied, rebuilt from
//     the root (a changed group's members are those its write-set entry
//     lists), sequence + 1.
// The caller adds the orderer's own checks on the result and signs the
// CONFIG envelope (Fabric's orderer signs it with its identity).

import { Buffer } from 'node:buffer';
import { decodeChannelHeader, decodePayload, decodeSignatureHeader } from '../codec/common.js';
import { concatBytes } from '../bytes.js';
import { OrdererError } from '../../errors.js';
import { HeaderType, type Envelope } from '../model.js';
import { decodeConfigUpdate, decodeConfigUpdateEnvelope } from './codec.js';
import { configFromMap, configIdProblem, mapConfig, modPolicyOf, versionOf, ROOT_KEY, type ConfigElement } from './configMap.js';
import { ConfigUpdateError } from './errors.js';
import type { Config, ConfigGroup } from './model.js';
import type { SignedData, SignerChecker } from './policy/identities.js';
import type { PolicyManager } from './policy/manager.js';

export interface ConfigUpdatePolicies {
  /** Policies of the current config. */
  readonly manager: PolicyManager;
  /** The current config's MSPs. */
  readonly signers: SignerChecker;
}

export interface ProposedConfig {
  readonly config: Config;
  /** The ConfigSignatures' signers that counted, as "mspId" per signer (for logs). */
  readonly signerMsps: readonly string[];
}

/** The config `updateEnvelope` moves `current` to. Throws ConfigUpdateError with Fabric's reason. */
export function proposeConfigUpdate(channelId: string, current: Config, updateEnvelope: Envelope, policies: ConfigUpdatePolicies, now: Date): ProposedConfig {
  const prefix = `error applying config update to existing channel '${channelId}'`;
  const { configUpdate, signedData } = readUpdate(updateEnvelope, prefix);
  const fail = (forbidden: boolean, reason: string): never => {
    throw new ConfigUpdateError(forbidden, `${prefix}: error authorizing update: ${reason}`);
  };
  if (configUpdate.channelId !== channelId) fail(false, `ConfigUpdate for channel '${configUpdate.channelId}' but envelope for channel '${channelId}'`);
  const mapped = (group: ConfigGroup | undefined, what: string): Map<string, ConfigElement> => {
    try {
      return mapConfig(group, what);
    } catch (err) {
      if (!(err instanceof OrdererError)) throw err;
      return fail(false, `error mapping ${what}: ${err.message}`);
    }
  };
  const currentMap = mapConfig(current.channelGroup, 'config');
  const readSet = mapped(configUpdate.readSet, 'ReadSet');
  for (const [key, element] of readSet) {
    const existing = currentMap.get(key);
    if (existing === undefined) fail(false, `error validating ReadSet: existing config does not contain element for ${key} but was in the read set`);
    else if (versionOf(existing) !== versionOf(element)) {
      fail(
        false,
        `error validating ReadSet: proposed update requires that key ${key} be at version ${versionOf(element)}, but it is currently at version ${versionOf(existing)}`,
      );
    }
  }
  const writeSet = mapped(configUpdate.writeSet, 'WriteSet');
  const delta = new Map([...writeSet].filter(([key, element]) => readSet.get(key) === undefined || versionOf(readSet.get(key)!) !== versionOf(element)));
  if (delta.size === 0) fail(false, 'error validating DeltaSet: delta set was empty -- update would have no effect');
  const { identities, ignored } = policies.signers.signers(signedData, now);
  for (const [key, element] of delta) {
    const modProblem = modPolicyProblem(modPolicyOf(element));
    if (modProblem !== undefined) fail(false, `error validating DeltaSet: invalid mod_policy for element ${key}: ${modProblem}`);
    const existing = currentMap.get(key);
    if (existing === undefined) {
      if (versionOf(element) !== 0)
        fail(false, `error validating DeltaSet: attempted to set key ${key} to version ${versionOf(element)}, but key does not exist`);
      continue;
    }
    if (versionOf(element) !== versionOf(existing) + 1) {
      fail(false, `error validating DeltaSet: attempt to set key ${key} to version ${versionOf(element)}, but key is at version ${versionOf(existing)}`);
    }
    const policy = policyForElement(policies.manager, existing);
    const verdict = policy.evaluate(identities);
    if (verdict !== undefined) {
      const why = ignored.length === 0 ? '' : ` (signatures not counted: ${ignored.join('; ')})`;
      fail(true, `error validating DeltaSet: policy for ${key} not satisfied: mod_policy ${policy.path}: ${verdict}${why}`);
    }
  }
  const next = new Map(currentMap);
  for (const [key, element] of delta) next.set(key, element);
  for (const key of writeSet.keys())
    if (!next.has(key)) fail(false, `full config did not verify: writeset contained key ${key} which did not appear in proposed config`);
  let channelGroup: ConfigGroup;
  try {
    channelGroup = configFromMap(next);
  } catch (err) {
    if (!(err instanceof OrdererError)) throw err;
    throw new ConfigUpdateError(false, `${prefix}: could not turn configMap back to channelGroup: ${err.message}`);
  }
  return { config: { sequence: current.sequence + 1, channelGroup }, signerMsps: identities.map((id) => id.mspId) };
}

/** Fabric's policyForItem: a relative mod_policy is looked up from the element's group (a group's own, for a group). */
function policyForElement(manager: PolicyManager, element: ConfigElement) {
  const groupPath = element.kind === 'group' ? [...element.path, element.key] : element.path;
  return manager.policy(modPolicyOf(element), groupPath.length === 0 ? [ROOT_KEY] : groupPath);
}

function modPolicyProblem(modPolicy: string): string | undefined {
  if (modPolicy === '') return 'mod_policy not set';
  const parts = (modPolicy.startsWith('/') ? modPolicy.slice(1) : modPolicy).split('/');
  for (const [i, part] of parts.entries()) {
    const problem = configIdProblem(part);
    if (problem !== undefined) return `path element at ${i} is invalid: ${problem}`;
  }
  return undefined;
}

function readUpdate(envelope: Envelope, prefix: string) {
  const path = 'config update envelope';
  try {
    const payload = decodePayload(envelope.payload, { code: 'BAD_ENVELOPE', path: `${path}.payload` });
    if (payload.header === undefined) throw new ConfigUpdateError(false, `${prefix}: error converting envelope to config update: missing header`);
    const header = decodeChannelHeader(payload.header.channelHeader, { code: 'BAD_ENVELOPE', path: `${path}.payload.header.channel_header` });
    if (header.type !== HeaderType.CONFIG_UPDATE) {
      throw new ConfigUpdateError(
        false,
        `${prefix}: error converting envelope to config update: header type ${header.type} is not CONFIG_UPDATE (${HeaderType.CONFIG_UPDATE})`,
      );
    }
    const updateEnvelope = decodeConfigUpdateEnvelope(payload.data, { code: 'BAD_ENVELOPE', path: `${path}.payload.data` });
    const configUpdate = decodeConfigUpdate(updateEnvelope.configUpdate, { code: 'BAD_ENVELOPE', path: `${path}.payload.data.config_update` });
    const signedData: SignedData[] = updateEnvelope.signatures.map((sig, i) => ({
      creator: decodeSignatureHeader(sig.signatureHeader, { code: 'BAD_ENVELOPE', path: `${path}.payload.data.signatures[${i}].signature_header` }).creator,
      data: concatBytes([sig.signatureHeader, updateEnvelope.configUpdate]),
      signature: sig.signature,
    }));
    return { configUpdate, signedData };
  } catch (err) {
    if (err instanceof ConfigUpdateError || !(err instanceof OrdererError)) throw err;
    throw new ConfigUpdateError(false, `${prefix}: error converting envelope to config update: ${err.message}`);
  }
}

/** Whether two config trees say the same (map order aside): Fabric's proto.Equal on the channel group. */
export function sameConfigGroup(a: ConfigGroup | undefined, b: ConfigGroup | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.version !== b.version || a.modPolicy !== b.modPolicy) return false;
  const sameMap = <T>(x: ReadonlyMap<string, T>, y: ReadonlyMap<string, T>, same: (p: T, q: T) => boolean) =>
    x.size === y.size && [...x].every(([k, v]) => y.has(k) && same(v, y.get(k)!));
  const bytes = (p: Uint8Array | undefined, q: Uint8Array | undefined) =>
    p === undefined || q === undefined ? (p?.length ?? 0) === (q?.length ?? 0) : Buffer.compare(p, q) === 0;
  return (
    sameMap(a.groups, b.groups, sameConfigGroup) &&
    sameMap(a.values, b.values, (p, q) => p.version === q.version && p.modPolicy === q.modPolicy && bytes(p.value, q.value)) &&
    sameMap(a.policies, b.policies, (p, q) => p.version === q.version && p.modPolicy === q.modPolicy && bytes(p.policy, q.policy))
  );
}
