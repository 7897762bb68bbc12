// Codec of the channel- and orderer-level config values Fabric's
// channelconfig reads (common/configuration.proto, orderer/configuration.proto,
// orderer/etcdraft/configuration.proto): HashingAlgorithm,
// BlockDataHashingStructure, OrdererAddresses, Consortium, Capabilities,
// BatchSize, BatchTimeout, ConsensusType and etcdraft ConfigMetadata.

import type { DecodeContext } from '../codec/common.js';
import type { BatchSize } from '../blockCutter.js';
import { EMPTY_BYTES } from '../model.js';
import { WIRE_LEN, WIRE_VARINT } from '../wire/reader.js';
import { ProtoWriter } from '../wire/writer.js';
import { child, readFields, readUint32 } from './wireHelpers.js';

const utf8 = new TextEncoder();

export function decodeHashingAlgorithm(bytes: Uint8Array, ctx: DecodeContext): { readonly name: string } {
  let name = '';
  readFields(bytes, ctx, (r, field, key) => {
    if (field !== 1) return false;
    r.expect(key, WIRE_LEN, 'name');
    name = r.string('name');
    return true;
  });
  return { name };
}

export function encodeHashingAlgorithm(value: { readonly name: string }): Uint8Array {
  return new ProtoWriter().string(1, value.name).finish();
}

export function decodeBlockDataHashingStructure(bytes: Uint8Array, ctx: DecodeContext): { readonly width: number } {
  let width = 0;
  readFields(bytes, ctx, (r, field, key) => {
    if (field !== 1) return false;
    r.expect(key, WIRE_VARINT, 'width');
    width = readUint32(r, 'width');
    return true;
  });
  return { width };
}

export function encodeBlockDataHashingStructure(value: { readonly width: number }): Uint8Array {
  return new ProtoWriter().uint64(1, value.width).finish();
}

/** OrdererAddresses (channel value) and an orderer org's Endpoints value share this message. */
export function decodeOrdererAddresses(bytes: Uint8Array, ctx: DecodeContext): { readonly addresses: readonly string[] } {
  const addresses: string[] = [];
  readFields(bytes, ctx, (r, field, key) => {
    if (field !== 1) return false;
    r.expect(key, WIRE_LEN, 'addresses');
    addresses.push(r.string('addresses'));
    return true;
  });
  return { addresses };
}

export function encodeOrdererAddresses(value: { readonly addresses: readonly string[] }): Uint8Array {
  const w = new ProtoWriter();
  for (const address of value.addresses) w.bytesAlways(1, utf8.encode(address));
  return w.finish();
}

export function encodeConsortium(value: { readonly name: string }): Uint8Array {
  return new ProtoWriter().string(1, value.name).finish();
}

/** Capabilities{map<string, Capability{}>}: only the names matter. */
export function decodeCapabilities(bytes: Uint8Array, ctx: DecodeContext): { readonly names: readonly string[] } {
  const names: string[] = [];
  readFields(bytes, ctx, (r, field, key) => {
    if (field !== 1) return false;
    r.expect(key, WIRE_LEN, 'capabilities');
    readFields(r.bytes('capabilities'), child(ctx, 'capabilities'), (entry, f, k) => {
      if (f !== 1) return false;
      entry.expect(k, WIRE_LEN, 'key');
      names.push(entry.string('key'));
      return true;
    });
    return true;
  });
  return { names };
}

/** Names sorted, each with an empty Capability, as Go's deterministic marshal writes them. */
export function encodeCapabilities(value: { readonly names: readonly string[] }): Uint8Array {
  const w = new ProtoWriter();
  for (const name of [...new Set(value.names)].sort()) {
    w.message(1, new ProtoWriter().bytesAlways(1, utf8.encode(name)).message(2, new ProtoWriter()));
  }
  return w.finish();
}

export function decodeBatchSize(bytes: Uint8Array, ctx: DecodeContext): BatchSize {
  let maxMessageCount = 0;
  let absoluteMaxBytes = 0;
  let preferredMaxBytes = 0;
  readFields(bytes, ctx, (r, field, key) => {
    switch (field) {
      case 1:
        r.expect(key, WIRE_VARINT, 'max_message_count');
        maxMessageCount = readUint32(r, 'max_message_count');
        return true;
      case 2:
        r.expect(key, WIRE_VARINT, 'absolute_max_bytes');
        absoluteMaxBytes = readUint32(r, 'absolute_max_bytes');
        return true;
      case 3:
        r.expect(key, WIRE_VARINT, 'preferred_max_bytes');
        preferredMaxBytes = readUint32(r, 'preferred_max_bytes');
        return true;
      default:
        return false;
    }
  });
  return { maxMessageCount, absoluteMaxBytes, preferredMaxBytes };
}

export function encodeBatchSize(value: BatchSize): Uint8Array {
  return new ProtoWriter().uint64(1, value.maxMessageCount).uint64(2, value.absoluteMaxBytes).uint64(3, value.preferredMaxBytes).finish();
}

/** BatchTimeout{timeout: Go duration string, e.g. "2s"}. */
export function decodeBatchTimeout(bytes: Uint8Array, ctx: DecodeContext): { readonly timeout: string } {
  let timeout = '';
  readFields(bytes, ctx, (r, field, key) => {
    if (field !== 1) return false;
    r.expect(key, WIRE_LEN, 'timeout');
    timeout = r.string('timeout');
    return true;
  });
  return { timeout };
}

export function encodeBatchTimeout(value: { readonly timeout: string }): Uint8Array {
  return new ProtoWriter().string(1, value.timeout).finish();
}

export enum ConsensusState {
  NORMAL = 0,
  MAINTENANCE = 1,
}

export interface ConsensusType {
  readonly type: string;
  /** Marshaled consensus-specific metadata (etcdraft ConfigMetadata). */
  readonly metadata: Uint8Array;
  readonly state: number;
}

export function decodeConsensusType(bytes: Uint8Array, ctx: DecodeContext): ConsensusType {
  let type = '';
  let metadata = EMPTY_BYTES;
  let state = 0;
  readFields(bytes, ctx, (r, field, key) => {
    switch (field) {
      case 1:
        r.expect(key, WIRE_LEN, 'type');
        type = r.string('type');
        return true;
      case 2:
        r.expect(key, WIRE_LEN, 'metadata');
        metadata = r.bytes('metadata');
        return true;
      case 4:
        r.expect(key, WIRE_VARINT, 'state');
        state = r.int32('state');
        return true;
      default:
        return false;
    }
  });
  return { type, metadata, state };
}

export function encodeConsensusType(value: ConsensusType): Uint8Array {
  return new ProtoWriter().string(1, value.type).bytes(2, value.metadata).int32(4, value.state).finish();
}

/** etcdraft Consenter: identified by its client TLS certificate (PEM bytes), as Fabric does. */
export interface Consenter {
  readonly host: string;
  readonly port: number;
  readonly clientTlsCert: Uint8Array;
  readonly serverTlsCert: Uint8Array;
}

/** etcdraft Options; numbers as in the config (0 = not set). */
export interface EtcdraftOptions {
  /** Go duration string ("500ms"). */
  readonly tickInterval: string;
  /**
   * Fabric 1.4.0 wrote tick_interval as a uint64 of milliseconds; later
   * Fabric reads such a field as unknown. Kept so such configs still say it.
   */
  readonly legacyTickIntervalMs?: number;
  readonly electionTick: number;
  readonly heartbeatTick: number;
  readonly maxInflightBlocks: number;
  readonly snapshotIntervalSize: number;
}

export interface EtcdraftConfigMetadata {
  readonly consenters: readonly Consenter[];
  readonly options?: EtcdraftOptions;
}

export function decodeEtcdraftConfigMetadata(bytes: Uint8Array, ctx: DecodeContext): EtcdraftConfigMetadata {
  const consenters: Consenter[] = [];
  let options: EtcdraftOptions | undefined;
  readFields(bytes, ctx, (r, field, key) => {
    switch (field) {
      case 1:
        r.expect(key, WIRE_LEN, 'consenters');
        consenters.push(decodeConsenter(r.bytes('consenters'), child(ctx, `consenters[${consenters.length}]`)));
        return true;
      case 2:
        r.expect(key, WIRE_LEN, 'options');
        options = decodeOptions(r.bytes('options'), child(ctx, 'options'));
        return true;
      default:
        return false;
    }
  });
  return options === undefined ? { consenters } : { consenters, options };
}

export function encodeEtcdraftConfigMetadata(value: EtcdraftConfigMetadata): Uint8Array {
  const w = new ProtoWriter();
  for (const c of value.consenters) {
    w.message(1, new ProtoWriter().string(1, c.host).uint64(2, c.port).bytes(3, c.clientTlsCert).bytes(4, c.serverTlsCert));
  }
  if (value.options !== undefined) {
    const o = value.options;
    w.message(
      2,
      new ProtoWriter()
        .string(1, o.tickInterval)
        .uint64(2, o.electionTick)
        .uint64(3, o.heartbeatTick)
        .uint64(4, o.maxInflightBlocks)
        .uint64(5, o.snapshotIntervalSize),
    );
  }
  return w.finish();
}

function decodeConsenter(bytes: Uint8Array, ctx: DecodeContext): Consenter {
  let host = '';
  let port = 0;
  let clientTlsCert = EMPTY_BYTES;
  let serverTlsCert = EMPTY_BYTES;
  readFields(bytes, ctx, (r, field, key) => {
    switch (field) {
      case 1:
        r.expect(key, WIRE_LEN, 'host');
        host = r.string('host');
        return true;
      case 2:
        r.expect(key, WIRE_VARINT, 'port');
        port = readUint32(r, 'port');
        return true;
      case 3:
        r.expect(key, WIRE_LEN, 'client_tls_cert');
        clientTlsCert = r.bytes('client_tls_cert');
        return true;
      case 4:
        r.expect(key, WIRE_LEN, 'server_tls_cert');
        serverTlsCert = r.bytes('server_tls_cert');
        return true;
      default:
        return false;
    }
  });
  return { host, port, clientTlsCert, serverTlsCert };
}

function decodeOptions(bytes: Uint8Array, ctx: DecodeContext): EtcdraftOptions {
  let tickInterval = '';
  let legacyTickIntervalMs: number | undefined;
  let electionTick = 0;
  let heartbeatTick = 0;
  let maxInflightBlocks = 0;
  let snapshotIntervalSize = 0;
  readFields(bytes, ctx, (r, field, key) => {
    switch (field) {
      case 1:
        if ((key & 7) === WIRE_VARINT) legacyTickIntervalMs = r.uint64('tick_interval');
        else {
          r.expect(key, WIRE_LEN, 'tick_interval');
          tickInterval = r.string('tick_interval');
        }
        return true;
      case 2:
        r.expect(key, WIRE_VARINT, 'election_tick');
        electionTick = readUint32(r, 'election_tick');
        return true;
      case 3:
        r.expect(key, WIRE_VARINT, 'heartbeat_tick');
        heartbeatTick = readUint32(r, 'heartbeat_tick');
        return true;
      case 4:
        r.expect(key, WIRE_VARINT, 'max_inflight_blocks');
        maxInflightBlocks = readUint32(r, 'max_inflight_blocks');
        return true;
      case 5:
        r.expect(key, WIRE_VARINT, 'snapshot_interval_size');
        snapshotIntervalSize = readUint32(r, 'snapshot_interval_size');
        return true;
      default:
        return false;
    }
  });
  const base = { tickInterval, electionTick, heartbeatTick, maxInflightBlocks, snapshotIntervalSize };
  return legacyTickIntervalMs === undefined ? base : { ...base, legacyTickIntervalMs };
}
