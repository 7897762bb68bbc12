// buildConfig / buildConfigEnvelope / buildGenesisBlock: a configtxgen-like
// config tree from ChannelConfigValues. Deterministic: the same values give
// the same bytes on every node (map keys sorted as Go's deterministic
// marshaling sorts them, fixed timestamp and a nonce derived from the channel
// id in the genesis envelope), so every consenter writes an identical block 0.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Hasher } from '../../crypto/index.js';
import { createGenesisBlock } from '../blockCreator.js';
import { NONCE_BYTES } from '../blockMetadata.js';
import { computeTxId, createSignedEnvelope } from '../envelopeBuilder.js';
import { EMPTY_BYTES, HeaderType, type Block } from '../model.js';
import type { ChannelConfigValues, OrganizationSection, OrganizationValues } from './channelValues.js';
import { encodeConfigEnvelope } from './codec.js';
import { formatGoDurationMs } from './duration.js';
import { ETCDRAFT } from './extract.js';
import type { Config, ConfigGroup, ConfigPolicy, ConfigValue } from './model.js';
import { MSP_TYPE_FABRIC, encodeFabricMspConfig, encodeMspConfig } from './mspValue.js';
import { ImplicitMetaRule, MspRole, implicitMetaPolicy, signedByRolePolicy } from './policies.js';
import {
  encodeBatchSize,
  encodeBatchTimeout,
  encodeBlockDataHashingStructure,
  encodeCapabilities,
  encodeConsensusType,
  encodeEtcdraftConfigMetadata,
  encodeHashingAlgorithm,
  encodeOrdererAddresses,
} from './values.js';

const ADMINS = 'Admins';
const utf8 = new TextEncoder();
/** Fabric hashes all of a block's data at once: BlockDataHashingStructure.width = MaxUint32. */
const BLOCK_DATA_HASHING_WIDTH = 0xffff_ffff;
const HASH_NAMES = { sha256: 'SHA256', sm3: 'SM3' } as const;

/** Values a config is built from: what extractChannelConfig returns, less what is derived (signature algorithm). */
export type ChannelConfigInput = Omit<ChannelConfigValues, 'signatureAlgorithm'>;

export function buildConfig(values: ChannelConfigInput): Config {
  assert.equal(values.consensusType, ETCDRAFT, 'this orderer builds etcdraft channel configs only');
  assert(values.raftOptions !== undefined, 'an etcdraft config needs raftOptions');
  const channelValues: [string, ConfigValue][] = [
    ['BlockDataHashingStructure', value(encodeBlockDataHashingStructure({ width: BLOCK_DATA_HASHING_WIDTH }))],
    ['HashingAlgorithm', value(encodeHashingAlgorithm({ name: HASH_NAMES[values.hashAlgorithm] }))],
  ];
  if (values.capabilities.channel.length > 0) channelValues.push(['Capabilities', value(encodeCapabilities({ names: values.capabilities.channel }))]);
  if (values.ordererAddresses.length > 0) {
    channelValues.push(['OrdererAddresses', value(encodeOrdererAddresses({ addresses: values.ordererAddresses }), '/Channel/Orderer/Admins')]);
  }
  const groups: [string, ConfigGroup][] = [['Orderer', ordererGroup(values)]];
  if (values.hasApplicationGroup) groups.push(['Application', applicationGroup(values)]);
  return { sequence: values.sequence, channelGroup: group(groups, channelValues, standardPolicies()) };
}

/** Marshaled ConfigEnvelope{config} (no last_update, as configtxgen's genesis). */
export function buildConfigEnvelope(values: ChannelConfigInput): Uint8Array {
  return encodeConfigEnvelope({ config: buildConfig(values) });
}

/**
 * Block 0 of a channel: one unsigned CONFIG envelope around buildConfigEnvelope,
 * timestamp 0 and a nonce derived from the channel id, so that it is the same
 * on every node. `hasher` is the channel's (data hash).
 */
export function buildGenesisBlock(values: ChannelConfigInput, hasher: Hasher): Block {
  assert.equal(hasher.algorithm, values.hashAlgorithm, "the genesis block is hashed with the channel's hash algorithm");
  const nonce = new Uint8Array(createHash('sha256').update(`genesis:${values.channelId}`).digest()).subarray(0, NONCE_BYTES);
  const envelope = createSignedEnvelope({
    type: HeaderType.CONFIG,
    channelId: values.channelId,
    data: buildConfigEnvelope(values),
    nonce,
    txId: computeTxId(nodeSha256, nonce, EMPTY_BYTES),
    timestamp: { seconds: 0, nanos: 0 },
  });
  return createGenesisBlock(hasher, envelope);
}

const nodeSha256: Hasher = {
  algorithm: 'sha256',
  digest: (...parts) => {
    const h = createHash('sha256');
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
  },
};

function ordererGroup(values: ChannelConfigInput): ConfigGroup {
  const options = values.raftOptions!;
  const metadata = encodeEtcdraftConfigMetadata({
    consenters: values.consenters.map((c) => ({
      host: c.host,
      port: c.port,
      clientTlsCert: utf8.encode(c.clientTlsCertPem),
      serverTlsCert: utf8.encode(c.serverTlsCertPem),
    })),
    options: {
      tickInterval: formatGoDurationMs(options.tickIntervalMs),
      electionTick: options.electionTick,
      heartbeatTick: options.heartbeatTick,
      maxInflightBlocks: options.maxInflightBlocks,
      snapshotIntervalSize: options.snapshotIntervalSizeBytes,
    },
  });
  const ordererValues: [string, ConfigValue][] = [
    ['BatchSize', value(encodeBatchSize(values.batchSize))],
    ['BatchTimeout', value(encodeBatchTimeout({ timeout: formatGoDurationMs(values.batchTimeoutMs) }))],
    ['ConsensusType', value(encodeConsensusType({ type: ETCDRAFT, metadata, state: 0 }))],
  ];
  if (values.capabilities.orderer.length > 0) ordererValues.push(['Capabilities', value(encodeCapabilities({ names: values.capabilities.orderer }))]);
  const policies = standardPolicies();
  policies.push(['BlockValidation', policy(implicitMetaPolicy(ImplicitMetaRule.ANY, 'Writers'))]);
  return group(orgGroups(values, 'orderer'), ordererValues, policies);
}

function applicationGroup(values: ChannelConfigInput): ConfigGroup {
  const appValues: [string, ConfigValue][] = [];
  if (values.capabilities.application.length > 0) appValues.push(['Capabilities', value(encodeCapabilities({ names: values.capabilities.application }))]);
  return group(orgGroups(values, 'application'), appValues, standardPolicies());
}

function orgGroups(values: ChannelConfigInput, section: OrganizationSection): [string, ConfigGroup][] {
  return values.organizations.filter((org) => org.sections.includes(section)).map((org) => [org.mspId, orgGroup(org, values, section)]);
}

function orgGroup(org: OrganizationValues, values: ChannelConfigInput, section: OrganizationSection): ConfigGroup {
  const pem = (list: readonly string[]) => list.map((text) => utf8.encode(text));
  const gm = values.hashAlgorithm === 'sm3';
  const ou = (name: string) => ({ certificate: EMPTY_BYTES, organizationalUnitIdentifier: name });
  const fabricConfig = encodeFabricMspConfig({
    name: org.mspId,
    rootCerts: pem(org.rootCerts),
    intermediateCerts: pem(org.intermediateCerts),
    admins: pem(org.adminCerts),
    tlsRootCerts: pem(org.tlsRootCerts),
    tlsIntermediateCerts: pem(org.tlsIntermediateCerts),
    cryptoConfig: { signatureHashFamily: gm ? 'SM3' : 'SHA2', identityIdentifierHashFunction: gm ? 'SM3' : 'SHA256' },
    ...(org.adminOu !== undefined && {
      fabricNodeOus: {
        enable: true,
        clientOuIdentifier: ou('client'),
        peerOuIdentifier: ou('peer'),
        adminOuIdentifier: ou(org.adminOu),
        ordererOuIdentifier: ou('orderer'),
      },
    }),
  });
  const orgValues: [string, ConfigValue][] = [['MSP', value(encodeMspConfig({ type: MSP_TYPE_FABRIC, config: fabricConfig }))]];
  if (section === 'orderer' && org.ordererEndpoints !== undefined && org.ordererEndpoints.length > 0) {
    orgValues.push(['Endpoints', value(encodeOrdererAddresses({ addresses: org.ordererEndpoints }))]);
  }
  const policies: [string, ConfigPolicy][] = [
    ['Admins', policy(signedByRolePolicy(org.mspId, MspRole.ADMIN))],
    ['Readers', policy(signedByRolePolicy(org.mspId, MspRole.MEMBER))],
    ['Writers', policy(signedByRolePolicy(org.mspId, MspRole.MEMBER))],
  ];
  return group([], orgValues, policies);
}

function standardPolicies(): [string, ConfigPolicy][] {
  return [
    ['Admins', policy(implicitMetaPolicy(ImplicitMetaRule.MAJORITY, 'Admins'))],
    ['Readers', policy(implicitMetaPolicy(ImplicitMetaRule.ANY, 'Readers'))],
    ['Writers', policy(implicitMetaPolicy(ImplicitMetaRule.ANY, 'Writers'))],
  ];
}

function value(bytes: Uint8Array, modPolicy = ADMINS): ConfigValue {
  return { version: 0, value: bytes, modPolicy };
}

function policy(bytes: Uint8Array): ConfigPolicy {
  return { version: 0, policy: bytes, modPolicy: ADMINS };
}

/** A group whose maps iterate in sorted key order (Go's deterministic marshaling). */
function group(groups: [string, ConfigGroup][], values: [string, ConfigValue][], policies: [string, ConfigPolicy][]): ConfigGroup {
  return { version: 0, groups: sortedMap(groups), values: sortedMap(values), policies: sortedMap(policies), modPolicy: ADMINS };
}

export function sortedMap<T>(entries: readonly [string, T][]): Map<string, T> {
  const keys = new Set(entries.map(([key]) => key));
  assert.equal(keys.size, entries.length, `duplicate config keys: ${entries.map(([key]) => key).join(', ')}`);
  // Go sorts string keys by bytes; for the ASCII names of a config that is code-unit order.
  return new Map([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
