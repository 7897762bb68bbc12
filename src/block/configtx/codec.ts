// Codec of the config tree (common/configtx.proto): ConfigEnvelope, Config,
// ConfigGroup (recursive), ConfigValue, ConfigPolicy, ConfigUpdateEnvelope,
// ConfigUpdate, ConfigSignature. Same style as ../codec: decoders return views
// into the input and throw MalformedMessageError naming the field path;
// encoders write Go's field order and proto3 omissions.
//
// Map fields are repeated entry messages {key = 1, value = 2}; Go writes both
// members of an entry even when empty, and so do we. Entries are written in
// the Map's iteration order (see model.ts). A key seen twice keeps the last
// value, as Go's unmarshal does.

import { decodeEnvelope, type DecodeContext } from '../codec/common.js';
import { EMPTY_BYTES, type Envelope } from '../model.js';
import { ProtoReader, WIRE_LEN, WIRE_VARINT } from '../wire/reader.js';
import { ProtoWriter } from '../wire/writer.js';
import type { Config, ConfigEnvelope, ConfigGroup, ConfigPolicy, ConfigSignature, ConfigUpdate, ConfigUpdateEnvelope, ConfigValue } from './model.js';

/** Nesting bound of ConfigGroups: Fabric's trees are 3-4 deep (Channel/Application/Org); this stops hostile recursion. */
export const CONFIG_GROUP_DEPTH_MAX = 16;

const DEFAULT_CTX: DecodeContext = { code: 'BAD_PROTOBUF', path: 'config_envelope' };

export function decodeConfigEnvelope(bytes: Uint8Array, ctx: DecodeContext = DEFAULT_CTX): ConfigEnvelope {
  const r = new ProtoReader(bytes, ctx.code, ctx.path);
  let config: Config | undefined;
  let lastUpdate: Envelope | undefined;
  while (!r.done) {
    const key = r.key();
    switch (key >>> 3) {
      case 1:
        r.expect(key, WIRE_LEN, 'config');
        config = decodeConfig(r.bytes('config'), { code: ctx.code, path: `${ctx.path}.config` });
        break;
      case 2:
        r.expect(key, WIRE_LEN, 'last_update');
        lastUpdate = decodeEnvelope(r.bytes('last_update'), { code: ctx.code, path: `${ctx.path}.last_update` });
        break;
      default:
        r.skip(key & 7, `field ${key >>> 3}`);
    }
  }
  return { ...(config && { config }), ...(lastUpdate && { lastUpdate }) };
}

export function encodeConfigEnvelope(envelope: ConfigEnvelope): Uint8Array {
  const w = new ProtoWriter().message(1, envelope.config && writeConfig(envelope.config));
  if (envelope.lastUpdate !== undefined) {
    w.message(2, new ProtoWriter().bytes(1, envelope.lastUpdate.payload).bytes(2, envelope.lastUpdate.signature));
  }
  return w.finish();
}

export function decodeConfig(bytes: Uint8Array, ctx: DecodeContext = { code: 'BAD_PROTOBUF', path: 'config' }): Config {
  const r = new ProtoReader(bytes, ctx.code, ctx.path);
  let sequence = 0;
  let channelGroup: ConfigGroup | undefined;
  while (!r.done) {
    const key = r.key();
    switch (key >>> 3) {
      case 1:
        r.expect(key, WIRE_VARINT, 'sequence');
        sequence = r.uint64('sequence');
        break;
      case 2:
        r.expect(key, WIRE_LEN, 'channel_group');
        // Paths of the tree start at channel_group, as Fabric's config paths do.
        channelGroup = decodeGroup(r.bytes('channel_group'), ctx.code, 'channel_group', 0);
        break;
      default:
        r.skip(key & 7, `field ${key >>> 3}`);
    }
  }
  return channelGroup === undefined ? { sequence } : { sequence, channelGroup };
}

export function encodeConfig(config: Config): Uint8Array {
  return writeConfig(config).finish();
}

function writeConfig(config: Config): ProtoWriter {
  return new ProtoWriter().uint64(1, config.sequence).message(2, config.channelGroup && writeGroup(config.channelGroup));
}

export function decodeConfigGroup(bytes: Uint8Array, ctx: DecodeContext = { code: 'BAD_PROTOBUF', path: 'channel_group' }): ConfigGroup {
  return decodeGroup(bytes, ctx.code, ctx.path, 0);
}

export function encodeConfigGroup(group: ConfigGroup): Uint8Array {
  return writeGroup(group).finish();
}

function decodeGroup(bytes: Uint8Array, code: DecodeContext['code'], path: string, depth: number): ConfigGroup {
  const r = new ProtoReader(bytes, code, path);
  if (depth >= CONFIG_GROUP_DEPTH_MAX) r.fail('groups', `config groups nested deeper than ${CONFIG_GROUP_DEPTH_MAX}`);
  let version = 0;
  let modPolicy = '';
  const groups = new Map<string, ConfigGroup>();
  const values = new Map<string, ConfigValue>();
  const policies = new Map<string, ConfigPolicy>();
  while (!r.done) {
    const key = r.key();
    switch (key >>> 3) {
      case 1:
        r.expect(key, WIRE_VARINT, 'version');
        version = r.uint64('version');
        break;
      case 2: {
        r.expect(key, WIRE_LEN, 'groups');
        const entry = readMapEntry(r, 'groups');
        groups.set(entry.key, decodeGroup(entry.value, code, `${path}.groups.${entry.key}`, depth + 1));
        break;
      }
      case 3: {
        r.expect(key, WIRE_LEN, 'values');
        const entry = readMapEntry(r, 'values');
        values.set(entry.key, decodeConfigValue(entry.value, { code, path: `${path}.values.${entry.key}` }));
        break;
      }
      case 4: {
        r.expect(key, WIRE_LEN, 'policies');
        const entry = readMapEntry(r, 'policies');
        policies.set(entry.key, decodeConfigPolicy(entry.value, { code, path: `${path}.policies.${entry.key}` }));
        break;
      }
      case 5:
        r.expect(key, WIRE_LEN, 'mod_policy');
        modPolicy = r.string('mod_policy');
        break;
      default:
        r.skip(key & 7, `field ${key >>> 3}`);
    }
  }
  return { version, groups, values, policies, modPolicy };
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

/** Reads one {key: string, value: bytes} map entry; a missing member is empty, as in Go. */
function readMapEntry(r: ProtoReader, field: string): { key: string; value: Uint8Array } {
  const start = r.lenStart(field);
  const end = r.pos;
  const entry = new ProtoReader(r.buf, r.code, `${r.path}.${field}`, start, end);
  let key = '';
  let value = EMPTY_BYTES;
  while (!entry.done) {
    const k = entry.key();
    switch (k >>> 3) {
      case 1:
        entry.expect(k, WIRE_LEN, 'key');
        key = entry.string('key');
        break;
      case 2:
        entry.expect(k, WIRE_LEN, 'value');
        value = entry.bytes('value');
        break;
      default:
        entry.skip(k & 7, `field ${k >>> 3}`);
    }
  }
  return { key, value };
}

export function decodeConfigValue(bytes: Uint8Array, ctx: DecodeContext): ConfigValue {
  const r = new ProtoReader(bytes, ctx.code, ctx.path);
  let version = 0;
  let value = EMPTY_BYTES;
  let modPolicy = '';
  while (!r.done) {
    const key = r.key();
    switch (key >>> 3) {
      case 1:
        r.expect(key, WIRE_VARINT, 'version');
        version = r.uint64('version');
        break;
      case 2:
        r.expect(key, WIRE_LEN, 'value');
        value = r.bytes('value');
        break;
      case 3:
        r.expect(key, WIRE_LEN, 'mod_policy');
        modPolicy = r.string('mod_policy');
        break;
      default:
        r.skip(key & 7, `field ${key >>> 3}`);
    }
  }
  return { version, value, modPolicy };
}

function writeValue(value: ConfigValue): ProtoWriter {
  return new ProtoWriter().uint64(1, value.version).bytes(2, value.value).string(3, value.modPolicy);
}

export function decodeConfigPolicy(bytes: Uint8Array, ctx: DecodeContext): ConfigPolicy {
  const r = new ProtoReader(bytes, ctx.code, ctx.path);
  let version = 0;
  let policy: Uint8Array | undefined;
  let modPolicy = '';
  while (!r.done) {
    const key = r.key();
    switch (key >>> 3) {
      case 1:
        r.expect(key, WIRE_VARINT, 'version');
        version = r.uint64('version');
        break;
      case 2:
        r.expect(key, WIRE_LEN, 'policy');
        policy = r.bytes('policy');
        break;
      case 3:
        r.expect(key, WIRE_LEN, 'mod_policy');
        modPolicy = r.string('mod_policy');
        break;
      default:
        r.skip(key & 7, `field ${key >>> 3}`);
    }
  }
  return policy === undefined ? { version, modPolicy } : { version, policy, modPolicy };
}

function writePolicy(policy: ConfigPolicy): ProtoWriter {
  const w = new ProtoWriter().uint64(1, policy.version);
  if (policy.policy !== undefined) w.bytesAlways(2, policy.policy);
  return w.string(3, policy.modPolicy);
}

export function decodeConfigUpdateEnvelope(
  bytes: Uint8Array,
  ctx: DecodeContext = { code: 'BAD_PROTOBUF', path: 'config_update_envelope' },
): ConfigUpdateEnvelope {
  const r = new ProtoReader(bytes, ctx.code, ctx.path);
  let configUpdate = EMPTY_BYTES;
  const signatures: ConfigSignature[] = [];
  while (!r.done) {
    const key = r.key();
    switch (key >>> 3) {
      case 1:
        r.expect(key, WIRE_LEN, 'config_update');
        configUpdate = r.bytes('config_update');
        break;
      case 2:
        r.expect(key, WIRE_LEN, 'signatures');
        signatures.push(decodeConfigSignature(r.bytes('signatures'), { code: ctx.code, path: `${ctx.path}.signatures[${signatures.length}]` }));
        break;
      default:
        r.skip(key & 7, `field ${key >>> 3}`);
    }
  }
  return { configUpdate, signatures };
}

export function encodeConfigUpdateEnvelope(envelope: ConfigUpdateEnvelope): Uint8Array {
  const w = new ProtoWriter().bytes(1, envelope.configUpdate);
  for (const sig of envelope.signatures) w.message(2, new ProtoWriter().bytes(1, sig.signatureHeader).bytes(2, sig.signature));
  return w.finish();
}

function decodeConfigSignature(bytes: Uint8Array, ctx: DecodeContext): ConfigSignature {
  const r = new ProtoReader(bytes, ctx.code, ctx.path);
  let signatureHeader = EMPTY_BYTES;
  let signature = EMPTY_BYTES;
  while (!r.done) {
    const key = r.key();
    switch (key >>> 3) {
      case 1:
        r.expect(key, WIRE_LEN, 'signature_header');
        signatureHeader = r.bytes('signature_header');
        break;
      case 2:
        r.expect(key, WIRE_LEN, 'signature');
        signature = r.bytes('signature');
        break;
      default:
        r.skip(key & 7, `field ${key >>> 3}`);
    }
  }
  return { signatureHeader, signature };
}

export function decodeConfigUpdate(bytes: Uint8Array, ctx: DecodeContext = { code: 'BAD_PROTOBUF', path: 'config_update' }): ConfigUpdate {
  const r = new ProtoReader(bytes, ctx.code, ctx.path);
  let channelId = '';
  let readSet: ConfigGroup | undefined;
  let writeSet: ConfigGroup | undefined;
  const isolatedData = new Map<string, Uint8Array>();
  while (!r.done) {
    const key = r.key();
    switch (key >>> 3) {
      case 1:
        r.expect(key, WIRE_LEN, 'channel_id');
        channelId = r.string('channel_id');
        break;
      case 2:
        r.expect(key, WIRE_LEN, 'read_set');
        readSet = decodeGroup(r.bytes('read_set'), ctx.code, `${ctx.path}.read_set`, 0);
        break;
      case 3:
        r.expect(key, WIRE_LEN, 'write_set');
        writeSet = decodeGroup(r.bytes('write_set'), ctx.code, `${ctx.path}.write_set`, 0);
        break;
      case 5: {
        r.expect(key, WIRE_LEN, 'isolated_data');
        const entry = readMapEntry(r, 'isolated_data');
        isolatedData.set(entry.key, entry.value);
        break;
      }
      default:
        r.skip(key & 7, `field ${key >>> 3}`);
    }
  }
  return { channelId, ...(readSet && { readSet }), ...(writeSet && { writeSet }), isolatedData };
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
