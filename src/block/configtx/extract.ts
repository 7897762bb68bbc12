// extractChannelConfig: a config block (or its CONFIG envelope) to the typed
// ChannelConfigValues, reading what Fabric's channelconfig reads
// (channel.go, orderer.go, msp.go, etcdraft's consenter config). Errors are
// ChannelConfigError naming the config path; bytes that are not protobuf are
// MalformedMessageError naming the field.

import type { HashAlgorithm, SignatureAlgorithm } from '../../crypto/index.js';
import type { DecodeContext } from '../codec/common.js';
import { decodeChannelHeader, decodeEnvelope, decodePayload } from '../codec/common.js';
import { HeaderType, type Block } from '../model.js';
import type { ChannelConfigValues, ConsenterValues, RaftOptionValues } from './channelValues.js';
import { decodeConfigEnvelope } from './codec.js';
import { parseGoDurationMs } from './duration.js';
import { ChannelConfigError } from './errors.js';
import type { Config, ConfigEnvelope, ConfigGroup } from './model.js';
import { readOrganizations } from './organizations.js';
import {
  decodeBatchSize,
  decodeBatchTimeout,
  decodeCapabilities,
  decodeConsensusType,
  decodeEtcdraftConfigMetadata,
  decodeHashingAlgorithm,
  decodeOrdererAddresses,
  type EtcdraftOptions,
} from './values.js';

export const ETCDRAFT = 'etcdraft';
const utf8 = new TextDecoder();

/** Fabric's HashingAlgorithm names; "SM3" is the GM suite's (not in Fabric upstream). */
const HASH_NAMES: Readonly<Record<string, HashAlgorithm>> = { SHA256: 'sha256', SM3: 'sm3' };

/** The config of `source`: a config block (its one CONFIG envelope) or a marshaled CONFIG Envelope. */
export function extractChannelConfig(source: Block | Uint8Array): ChannelConfigValues {
  const envelopeBytes = source instanceof Uint8Array ? source : onlyEnvelope(source);
  const { channelId, configEnvelope } = readConfigEnvelope(envelopeBytes, source instanceof Uint8Array ? 'envelope' : 'block.data[0]');
  if (configEnvelope.config === undefined) throw new ChannelConfigError('config', 'missing');
  return channelConfigValuesOf(configEnvelope.config, channelId);
}

/** Channel id and ConfigEnvelope of a marshaled CONFIG Envelope. */
export function readConfigEnvelope(envelopeBytes: Uint8Array, path = 'envelope'): { channelId: string; configEnvelope: ConfigEnvelope } {
  const ctx: DecodeContext = { code: 'BAD_ENVELOPE', path };
  const payload = decodePayload(decodeEnvelope(envelopeBytes, ctx).payload, { code: ctx.code, path: `${path}.payload` });
  if (payload.header === undefined) throw new ChannelConfigError(`${path}.payload.header`, 'missing');
  const header = decodeChannelHeader(payload.header.channelHeader, { code: ctx.code, path: `${path}.payload.header.channel_header` });
  if (header.type !== HeaderType.CONFIG) {
    throw new ChannelConfigError(`${path}.payload.header.channel_header.type`, `is ${header.type}, a config envelope has type CONFIG (${HeaderType.CONFIG})`);
  }
  const configEnvelope = decodeConfigEnvelope(payload.data, { code: ctx.code, path: `${path}.payload.data` });
  return { channelId: header.channelId, configEnvelope };
}

function onlyEnvelope(block: Block): Uint8Array {
  if (block.data.length !== 1) throw new ChannelConfigError('block.data', `a config block holds exactly one envelope, this one holds ${block.data.length}`);
  return block.data[0]!;
}

/** The typed values of a decoded Config. */
export function channelConfigValuesOf(config: Config, channelId: string): ChannelConfigValues {
  const channel = config.channelGroup;
  if (channel === undefined) throw new ChannelConfigError('channel_group', 'missing');
  const ordererGroup = requireGroup(channel, 'Orderer', 'channel_group');
  const ordererPath = 'channel_group.groups.Orderer';
  const applicationGroup = channel.groups.get('Application');

  const hashName = readValue(channel, 'HashingAlgorithm', 'channel_group', decodeHashingAlgorithm).name;
  const hashAlgorithm = HASH_NAMES[hashName];
  if (hashAlgorithm === undefined) {
    throw new ChannelConfigError('channel_group.values.HashingAlgorithm', `unsupported hashing algorithm "${hashName}" (SHA256 or SM3)`);
  }

  const batchSize = readValue(ordererGroup, 'BatchSize', ordererPath, decodeBatchSize);
  const timeoutText = readValue(ordererGroup, 'BatchTimeout', ordererPath, decodeBatchTimeout).timeout;
  const batchTimeoutMs = parseGoDurationMs(timeoutText);
  if (batchTimeoutMs === undefined || batchTimeoutMs <= 0) {
    throw new ChannelConfigError(`${ordererPath}.values.BatchTimeout`, `timeout "${timeoutText}" is not a positive duration`);
  }

  const consensusPath = `${ordererPath}.values.ConsensusType`;
  const consensus = readValue(ordererGroup, 'ConsensusType', ordererPath, decodeConsensusType);
  let consenters: ConsenterValues[] = [];
  let raftOptions: RaftOptionValues | undefined;
  if (consensus.type === ETCDRAFT) {
    const metadata = decodeEtcdraftConfigMetadata(consensus.metadata, { code: 'BAD_PROTOBUF', path: `${consensusPath}.metadata` });
    consenters = metadata.consenters.map((c) => ({
      host: c.host,
      port: c.port,
      clientTlsCertPem: utf8.decode(c.clientTlsCert),
      serverTlsCertPem: utf8.decode(c.serverTlsCert),
    }));
    if (metadata.options === undefined) throw new ChannelConfigError(`${consensusPath}.metadata.options`, 'missing (etcdraft needs its options)');
    raftOptions = raftOptionValues(metadata.options, `${consensusPath}.metadata.options`);
  }

  const { organizations, signatureAlgorithm } = readOrganizations(ordererGroup, applicationGroup);
  return {
    channelId,
    sequence: config.sequence,
    consensusType: consensus.type,
    organizations,
    batchSize,
    batchTimeoutMs,
    consenters,
    raftOptions,
    hashAlgorithm,
    signatureAlgorithm: signatureAlgorithm ?? defaultSignatureAlgorithm(hashAlgorithm),
    ordererAddresses: optionalValue(channel, 'OrdererAddresses', 'channel_group', decodeOrdererAddresses)?.addresses ?? [],
    capabilities: {
      channel: optionalValue(channel, 'Capabilities', 'channel_group', decodeCapabilities)?.names ?? [],
      orderer: optionalValue(ordererGroup, 'Capabilities', ordererPath, decodeCapabilities)?.names ?? [],
      application:
        applicationGroup === undefined
          ? []
          : (optionalValue(applicationGroup, 'Capabilities', 'channel_group.groups.Application', decodeCapabilities)?.names ?? []),
    },
    hasApplicationGroup: applicationGroup !== undefined,
  };
}

function defaultSignatureAlgorithm(hash: HashAlgorithm): SignatureAlgorithm {
  return hash === 'sm3' ? 'sm2' : 'ecdsa-p256';
}

function raftOptionValues(options: EtcdraftOptions, path: string): RaftOptionValues {
  let tickIntervalMs: number | undefined;
  if (options.tickInterval !== '') tickIntervalMs = parseGoDurationMs(options.tickInterval);
  else tickIntervalMs = options.legacyTickIntervalMs;
  if (tickIntervalMs === undefined) throw new ChannelConfigError(`${path}.tick_interval`, `"${options.tickInterval}" is not a duration`);
  return {
    tickIntervalMs,
    electionTick: options.electionTick,
    heartbeatTick: options.heartbeatTick,
    maxInflightBlocks: options.maxInflightBlocks,
    snapshotIntervalSizeBytes: options.snapshotIntervalSize,
  };
}

export function requireGroup(parent: ConfigGroup, name: string, path: string): ConfigGroup {
  const group = parent.groups.get(name);
  if (group === undefined) throw new ChannelConfigError(`${path}.groups.${name}`, 'missing');
  return group;
}

export function readValue<T>(group: ConfigGroup, name: string, path: string, decode: (bytes: Uint8Array, ctx: DecodeContext) => T): T {
  const value = optionalValue(group, name, path, decode);
  if (value === undefined) throw new ChannelConfigError(`${path}.values.${name}`, 'missing');
  return value;
}

export function optionalValue<T>(group: ConfigGroup, name: string, path: string, decode: (bytes: Uint8Array, ctx: DecodeContext) => T): T | undefined {
  const value = group.values.get(name);
  if (value === undefined) return undefined;
  return decode(value.value, { code: 'BAD_PROTOBUF', path: `${path}.values.${name}.value` });
}
