// Fabric's channel configuration messages (common/configtx.proto) as plain
// TypeScript values, in the conventions of ../model.ts: camelCase field names,
// uint64 as safe-integer numbers, bytes decoded from a buffer are views into it.
//
// Protobuf maps are JS Maps. Their iteration order is the wire order when
// decoded (Go's proto.Marshal does not sort map keys, so the only way to
// re-encode a Fabric config byte-identically is to keep the order it came in)
// and sorted by key when built here (Go's deterministic marshaling order).

import type { Envelope } from '../model.js';

export interface ConfigEnvelope {
  readonly config?: Config;
  /** The (signed) CONFIG_UPDATE envelope that produced `config`. */
  readonly lastUpdate?: Envelope;
}

export interface Config {
  /** Incremented by one with every config update; 0 in a configtxgen genesis block. */
  readonly sequence: number;
  readonly channelGroup?: ConfigGroup;
}

export interface ConfigGroup {
  readonly version: number;
  readonly groups: ReadonlyMap<string, ConfigGroup>;
  readonly values: ReadonlyMap<string, ConfigValue>;
  readonly policies: ReadonlyMap<string, ConfigPolicy>;
  readonly modPolicy: string;
}

export interface ConfigValue {
  readonly version: number;
  /** The marshaled value message (BatchSize, MSPConfig, ...), kept opaque here. */
  readonly value: Uint8Array;
  readonly modPolicy: string;
}

export interface ConfigPolicy {
  readonly version: number;
  /** Marshaled common.Policy{type, value}; opaque (this orderer evaluates no policies). Absent when undefined. */
  readonly policy?: Uint8Array;
  readonly modPolicy: string;
}

export interface ConfigUpdateEnvelope {
  /** Marshaled ConfigUpdate: the signatures are over signature_header ‖ these bytes. */
  readonly configUpdate: Uint8Array;
  readonly signatures: readonly ConfigSignature[];
}

export interface ConfigSignature {
  /** Marshaled SignatureHeader{creator, nonce}. */
  readonly signatureHeader: Uint8Array;
  readonly signature: Uint8Array;
}

export interface ConfigUpdate {
  readonly channelId: string;
  readonly readSet?: ConfigGroup;
  readonly writeSet?: ConfigGroup;
  readonly isolatedData: ReadonlyMap<string, Uint8Array>;
}

export const EMPTY_GROUP: ConfigGroup = { version: 0, groups: new Map(), values: new Map(), policies: new Map(), modPolicy: '' };
