// The Fabric messages the orderer handles, as plain TypeScript values.
// Field names follow the .proto files (common/common.proto, orderer/ab.proto,
// orderer/etcdraft/metadata.proto, msp/identities.proto) in camelCase.
//
// Conventions:
// - uint64/int64 are JS numbers, exact up to 2^53 - 1 (asserted on encode,
//   rejected on decode).
// - An optional sub-message (`?:`) is absent when undefined; present-but-empty
//   is encoded (as Go does for a non-nil pointer), so presence matters.
// - Bytes decoded from a buffer are views into it (no copy): keep the source
//   buffer unmodified while the decoded value is in use.

export enum Status {
  UNKNOWN = 0,
  SUCCESS = 200,
  BAD_REQUEST = 400,
  FORBIDDEN = 403,
  NOT_FOUND = 404,
  REQUEST_ENTITY_TOO_LARGE = 413,
  INTERNAL_SERVER_ERROR = 500,
  NOT_IMPLEMENTED = 501,
  SERVICE_UNAVAILABLE = 503,
}

export enum HeaderType {
  MESSAGE = 0,
  CONFIG = 1,
  CONFIG_UPDATE = 2,
  ENDORSER_TRANSACTION = 3,
  /** Deprecated in Fabric (system channel removed); still decodable. */
  ORDERER_TRANSACTION = 4,
  DELIVER_SEEK_INFO = 5,
  CHAINCODE_PACKAGE = 6,
}

/** Positions in BlockMetadata.metadata; Fabric always writes all five. */
export enum BlockMetadataIndex {
  SIGNATURES = 0,
  LAST_CONFIG = 1,
  TRANSACTIONS_FILTER = 2,
  ORDERER = 3,
  COMMIT_HASH = 4,
}
export const BLOCK_METADATA_ENTRIES = 5;

export interface Envelope {
  /** Marshaled Payload. */
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
}

export interface Payload {
  readonly header?: Header;
  readonly data: Uint8Array;
}

export interface Header {
  /** Marshaled ChannelHeader. */
  readonly channelHeader: Uint8Array;
  /** Marshaled SignatureHeader. */
  readonly signatureHeader: Uint8Array;
}

export interface Timestamp {
  readonly seconds: number;
  readonly nanos: number;
}

export interface ChannelHeader {
  /** A HeaderType for values 0..10000; other values are application-defined. */
  readonly type: number;
  readonly version: number;
  readonly timestamp?: Timestamp;
  readonly channelId: string;
  readonly txId: string;
  readonly epoch: number;
  readonly extension: Uint8Array;
  readonly tlsCertHash: Uint8Array;
}

export interface SignatureHeader {
  /** Marshaled SerializedIdentity. */
  readonly creator: Uint8Array;
  readonly nonce: Uint8Array;
}

export interface SerializedIdentity {
  readonly mspid: string;
  /** PEM X.509 certificate for X.509-based MSPs. */
  readonly idBytes: Uint8Array;
}

export interface BlockHeader {
  readonly number: number;
  readonly previousHash: Uint8Array;
  readonly dataHash: Uint8Array;
}

/**
 * A block. Fabric always writes header, data and metadata (NewBlock), so this
 * model has them all and the codec always encodes them.
 */
export interface Block {
  readonly header: BlockHeader;
  /** Marshaled Envelopes (BlockData.data). */
  readonly data: readonly Uint8Array[];
  /** Marshaled Metadata per BlockMetadataIndex (BlockMetadata.metadata). */
  readonly metadata: readonly Uint8Array[];
}

export interface MetadataSignature {
  /** Marshaled SignatureHeader. */
  readonly signatureHeader: Uint8Array;
  /** Over metadata value ‖ signature header ‖ ASN.1 block header bytes. */
  readonly signature: Uint8Array;
  /** Marshaled IdentifierHeader (BFT orderers only). */
  readonly identifierHeader: Uint8Array;
}

export interface Metadata {
  readonly value: Uint8Array;
  readonly signatures: readonly MetadataSignature[];
}

export interface LastConfig {
  readonly index: number;
}

export interface OrdererBlockMetadata {
  readonly lastConfig?: LastConfig;
  /** Marshaled Metadata whose value is the marshaled consensus metadata. */
  readonly consenterMetadata: Uint8Array;
}

/** orderer/etcdraft BlockMetadata: the Raft state a block was written with. */
export interface EtcdraftBlockMetadata {
  readonly consenterIds: readonly number[];
  readonly nextConsenterId: number;
  readonly raftIndex: number;
}

/**
 * What SeekSpecified.number reads as when the wire holds a value above 2^53 - 1.
 * Fabric's clients (peer deliver client, gateway block events) ask to stream
 * "forever" with stop = specified{math.MaxUint64}; no block number gets beyond
 * 2^53 - 1, so every such value means "no bound". The codec writes SEEK_MAX
 * back as MaxUint64, so Go's bytes round-trip. Only this field saturates:
 * every other uint64 above 2^53 - 1 is still rejected as malformed.
 */
export const SEEK_MAX = Number.POSITIVE_INFINITY;

export type SeekPosition =
  | { readonly type: 'newest' }
  | { readonly type: 'oldest' }
  /** Invariant: `number` is a safe non-negative integer or SEEK_MAX. */
  | { readonly type: 'specified'; readonly number: number }
  | { readonly type: 'nextCommit' };

export enum SeekBehavior {
  BLOCK_UNTIL_READY = 0,
  FAIL_IF_NOT_READY = 1,
}

export enum SeekErrorResponse {
  STRICT = 0,
  BEST_EFFORT = 1,
}

export enum SeekContentType {
  BLOCK = 0,
  HEADER_WITH_SIG = 1,
}

export interface SeekInfo {
  readonly start?: SeekPosition;
  readonly stop?: SeekPosition;
  readonly behavior: SeekBehavior;
  readonly errorResponse: SeekErrorResponse;
  readonly contentType: SeekContentType;
}

export interface BroadcastResponse {
  readonly status: Status;
  readonly info: string;
}

export type DeliverResponse =
  | { readonly type: 'status'; readonly status: Status }
  | { readonly type: 'block'; readonly block: Block }
  /** Neither member of the oneof set (encodes to nothing). */
  | { readonly type: 'none' };

export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);
