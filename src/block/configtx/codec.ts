// Codec of the config tree (common/configtx.proto): ConfigEnvelope, Config,
// ConfigGroup (recursive), ConfigValue, ConfigPolicy, ConfigUpdateEnvelope,
// ConfigUpdate, ConfigSignature. Same style as ../codec: decoders return views
// into the input and throw MalformedMessageError naming the field path;
// encoders write Go's field order and proto3 omissions.
//
// The decoders are field tables (../codec/fields.ts): the config tree is read
// once per config block, never on the per-envelope path.
//
// Map fields are repeated entry messages {key = 1, value = 2}; Go writes both
// members of an entry even when empty, and so do we. Entries are written in
// the Map's iteration order (see model.ts). A key seen twice keeps the last
// value, as Go's unmarshal does.

import { decodeEnvelope, type DecodeContext } from '../codec/common.js';
import {
  bytesField,
  decodeFields,
  readFields,
  mapField,
  messageField,
  repeatedMessageField,
  stringField,
  uint64Field,
  type Draft,
  type FieldTable,
} from '../codec/fields.js';
import { EMPTY_BYTES } from '../model.js';
import { ProtoReader } from '../wire/reader.js';
import { ProtoWriter } from '../wire/writer.js';
import type { Config, ConfigEnvelope, ConfigGroup, ConfigPolicy, ConfigSignature, ConfigUpdate, ConfigUpdateEnvelope, ConfigValue } from './model.js';

/** Nesting bound of ConfigGroups: Fabric's trees are 3-4 deep (Channel/Application/Org); this stops hostile recursion. */
export const CONFIG_GROUP_DEPTH_MAX = 16;

const DEFAULT_CTX: DecodeContext = { code: 'BAD_PROTOBUF', path: 'config_envelope' };

const CONFIG_ENVELOPE_FIELDS: FieldTable<Draft<ConfigEnvelope>> = {
  1: messageField('config', 'config', (bytes, ctx) => decodeConfig(bytes, ctx)),
  2: messageField('last_update', 'lastUpdate', decodeEnvelope),
};

export function decodeConfigEnvelope(bytes: Uint8Array, ctx: DecodeContext = DEFAULT_CTX): ConfigEnvelope {
  return decodeFields<Draft<ConfigEnvelope>>(bytes, ctx, CONFIG_ENVELOPE_FIELDS, {});
}

export function encodeConfigEnvelope(envelope: ConfigEnvelope): Uint8Array {
  const w = new ProtoWriter().message(1, envelope.config && writeConfig(envelope.config));
  if (envelope.lastUpdate !== undefined) {
    w.message(2, new ProtoWriter().bytes(1, envelope.lastUpdate.payload).bytes(2, envelope.lastUpdate.signature));
  }
  return w.finish();
}

const CONFIG_FIELDS: FieldTable<Draft<Config>> = {
  1: uint64Field('sequence', 'sequence'),
  // Paths of the tree start at channel_group, as Fabric's config paths do.
  2: messageField('channel_group', 'channelGroup', (bytes, ctx) => decodeGroup(bytes, { code: ctx.code, path: 'channel_group' }, 0)),
};

export function decodeConfig(bytes: Uint8Array, ctx: DecodeContext = { code: 'BAD_PROTOBUF', path: 'config' }): Config {
  return decodeFields<Draft<Config>>(bytes, ctx, CONFIG_FIELDS, { sequence: 0 });
}

export function encodeConfig(config: Config): Uint8Array {
  return writeConfig(config).finish();
}

function writeConfig(config: Config): ProtoWriter {
  return new ProtoWriter().uint64(1, config.sequence).message(2, config.channelGroup && writeGroup(config.channelGroup));
}

export function decodeConfigGroup(bytes: Uint8Array, ctx: DecodeContext = { code: 'BAD_PROTOBUF', path: 'channel_group' }): ConfigGroup {
  return decodeGroup(bytes, ctx, 0);
}

export function encodeConfigGroup(group: ConfigGroup): Uint8Array {
  return writeGroup(group).finish();
}

/** The field table of a group at each depth: a sub-group is read with the next one (built once, on first use). */
const groupFieldsByDepth: FieldTable<Draft<ConfigGroup>>[] = [];

function groupFields(depth: number): FieldTable<Draft<ConfigGroup>> {
  let table = groupFieldsByDepth[depth];
  if (table === undefined) {
    table = {
      1: uint64Field('version', 'version'),
      2: mapField('groups', 'groups', (bytes, ctx) => decodeGroup(bytes, ctx, depth + 1)),
      3: mapField('values', 'values', decodeConfigValue),
      4: mapField('policies', 'policies', decodeConfigPolicy),
      5: stringField('mod_policy', 'modPolicy'),
    };
    groupFieldsByDepth[depth] = table;
  }
  return table;
}

function decodeGroup(bytes: Uint8Array, ctx: DecodeContext, depth: number): ConfigGroup {
  const r = new ProtoReader(bytes, ctx.code, ctx.path);
  if (depth >= CONFIG_GROUP_DEPTH_MAX) r.fail('groups', `config groups nested deeper than ${CONFIG_GROUP_DEPTH_MAX}`);
  return readFields<Draft<ConfigGroup>>(r, groupFields(depth), { version: 0, groups: new Map(), values: new Map(), policies: new Map(), modPolicy: '' });
}

function writeGroup(group: ConfigGroup): ProtoWriter {
  const w = new ProtoWriter().uint64(1, group.version);
  for (const [key, sub] of group.groups) w.message(2, mapEntry(key, writeGroup(sub)));
  for (const [key, value] of group.values) w.message(3, mapEntry(key, writeValue(value)));
  for (const [key, policy] of group.policies) w.message(4, mapEntry(key, writePolicy(policy)));
  return w.string(5, group.modPolicy);
}

/** A map entry: Go writes the key and the value even when they are empty. */
function mapEntry(key: string, value: ProtoWriter): ProtoWriter {
  return new ProtoWriter().bytesAlways(1, new TextEncoder().encode(key)).message(2, value);
}

const CONFIG_VALUE_FIELDS: FieldTable<Draft<ConfigValue>> = {
  1: uint64Field('version', 'version'),
  2: bytesField('value', 'value'),
  3: stringField('mod_policy', 'modPolicy'),
};

export function decodeConfigValue(bytes: Uint8Array, ctx: DecodeContext): ConfigValue {
  return decodeFields<Draft<ConfigValue>>(bytes, ctx, CONFIG_VALUE_FIELDS, { version: 0, value: EMPTY_BYTES, modPolicy: '' });
}

function writeValue(value: ConfigValue): ProtoWriter {
  return new ProtoWriter().uint64(1, value.version).bytes(2, value.value).string(3, value.modPolicy);
}

const CONFIG_POLICY_FIELDS: FieldTable<Draft<ConfigPolicy>> = {
  1: uint64Field('version', 'version'),
  2: bytesField('policy', 'policy'),
  3: stringField('mod_policy', 'modPolicy'),
};

export function decodeConfigPolicy(bytes: Uint8Array, ctx: DecodeContext): ConfigPolicy {
  return decodeFields<Draft<ConfigPolicy>>(bytes, ctx, CONFIG_POLICY_FIELDS, { version: 0, modPolicy: '' });
}

function writePolicy(policy: ConfigPolicy): ProtoWriter {
  const w = new ProtoWriter().uint64(1, policy.version);
  if (policy.policy !== undefined) w.bytesAlways(2, policy.policy);
  return w.string(3, policy.modPolicy);
}

const CONFIG_SIGNATURE_FIELDS: FieldTable<Draft<ConfigSignature>> = {
  1: bytesField('signature_header', 'signatureHeader'),
  2: bytesField('signature', 'signature'),
};

const CONFIG_UPDATE_ENVELOPE_FIELDS: FieldTable<Draft<ConfigUpdateEnvelope>> = {
  1: bytesField('config_update', 'configUpdate'),
  2: repeatedMessageField('signatures', 'signatures', (bytes, ctx) =>
    decodeFields<Draft<ConfigSignature>>(bytes, ctx, CONFIG_SIGNATURE_FIELDS, { signatureHeader: EMPTY_BYTES, signature: EMPTY_BYTES }),
  ),
};

export function decodeConfigUpdateEnvelope(
  bytes: Uint8Array,
  ctx: DecodeContext = { code: 'BAD_PROTOBUF', path: 'config_update_envelope' },
): ConfigUpdateEnvelope {
  return decodeFields<Draft<ConfigUpdateEnvelope>>(bytes, ctx, CONFIG_UPDATE_ENVELOPE_FIELDS, { configUpdate: EMPTY_BYTES, signatures: [] });
}

export function encodeConfigUpdateEnvelope(envelope: ConfigUpdateEnvelope): Uint8Array {
  const w = new ProtoWriter().bytes(1, envelope.configUpdate);
  for (const sig of envelope.signatures) w.message(2, new ProtoWriter().bytes(1, sig.signatureHeader).bytes(2, sig.signature));
  return w.finish();
}

const CONFIG_UPDATE_FIELDS: FieldTable<Draft<ConfigUpdate>> = {
  1: stringField('channel_id', 'channelId'),
  2: messageField('read_set', 'readSet', (bytes, ctx) => decodeGroup(bytes, ctx, 0)),
  3: messageField('write_set', 'writeSet', (bytes, ctx) => decodeGroup(bytes, ctx, 0)),
  5: mapField('isolated_data', 'isolatedData', (bytes) => bytes),
};

export function decodeConfigUpdate(bytes: Uint8Array, ctx: DecodeContext = { code: 'BAD_PROTOBUF', path: 'config_update' }): ConfigUpdate {
  return decodeFields<Draft<ConfigUpdate>>(bytes, ctx, CONFIG_UPDATE_FIELDS, { channelId: '', isolatedData: new Map() });
}

export function encodeConfigUpdate(update: ConfigUpdate): Uint8Array {
  const w = new ProtoWriter()
    .string(1, update.channelId)
    .message(2, update.readSet && writeGroup(update.readSet))
    .message(3, update.writeSet && writeGroup(update.writeSet));
  for (const [key, value] of update.isolatedData) {
    w.message(5, new ProtoWriter().bytesAlways(1, new TextEncoder().encode(key)).bytesAlways(2, value));
  }
  return w.finish();
}
