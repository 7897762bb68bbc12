// The block work the pool does, as plain in-thread functions (the worker
// entry calls these; tests compare them with the block layer directly).

import { BlockMetadataWriter, type OrdererIdentity } from '../block/index.js';
import { encodeBlock, encodeBlockEntry, unsignedBlock } from '../block/index.js';
import { dataHash, headerHash } from '../block/index.js';
import type { Block } from '../block/index.js';
import { createCryptoProvider } from '../crypto/index.js';
import type { Engine, HashAlgorithm } from '../crypto/index.js';
import type { SignerContextSpec, WireBlockHeader, WireEtcdraftMetadata } from './protocol.js';

export interface BlockHashes {
  readonly headerHash: Uint8Array;
  readonly dataHash: Uint8Array;
}

/** Fabric's block data hash: `hashAlgorithm` over the concatenated entries. */
export function hashData(engine: Engine, hashAlgorithm: HashAlgorithm, data: readonly Uint8Array[]): Uint8Array {
  return dataHash(createCryptoProvider(engine).hasher(hashAlgorithm), data);
}

/** Data hash of `data` and the header hash of the block {number, previousHash, dataHash}, as Fabric. */
export function hashBlockData(
  engine: Engine,
  hashAlgorithm: HashAlgorithm,
  number: number,
  previousHash: Uint8Array,
  data: readonly Uint8Array[],
): BlockHashes {
  const hasher = createCryptoProvider(engine).hasher(hashAlgorithm);
  const computedDataHash = dataHash(hasher, data);
  return { dataHash: computedDataHash, headerHash: headerHash(hasher, { number, previousHash, dataHash: computedDataHash }) };
}

export interface BuiltBlockEntry {
  /** The Raft entry data: the new block (unsigned, metadata empty) marshaled behind its tx ids (block/blockEntry.ts). */
  readonly entry: Uint8Array;
  readonly dataHash: Uint8Array;
}

/** The leader's block `number` over `data`, chained on `previousHash`, as the Raft entry it proposes. */
export function buildBlockEntry(
  engine: Engine,
  hashAlgorithm: HashAlgorithm,
  start: { readonly number: number; readonly previousHash: Uint8Array },
  data: readonly Uint8Array[],
  txIds: readonly string[],
): BuiltBlockEntry {
  const hash = dataHash(createCryptoProvider(engine).hasher(hashAlgorithm), data);
  const block = unsignedBlock({ number: start.number, previousHash: start.previousHash, dataHash: hash }, data);
  return { entry: encodeBlockEntry(block, txIds), dataHash: hash };
}

export function marshalBlock(header: WireBlockHeader, data: readonly Uint8Array[], metadata: readonly Uint8Array[]): Uint8Array {
  return encodeBlock({ header, data, metadata });
}

/** The orderer identity of a signer context: the key parsed once per worker. */
export function ordererIdentityOf(spec: SignerContextSpec): OrdererIdentity {
  return {
    signer: createCryptoProvider(spec.engine).signerFromPrivateKey(spec.algorithm, spec.privateKeyPem),
    serializedIdentity: spec.serializedIdentity,
  };
}

export interface SignedBlock {
  /** The marshaled block with LAST_CONFIG and SIGNATURES filled. */
  readonly bytes: Uint8Array;
  /** Last config block number after this block (itself if it is a config block). */
  readonly lastConfigBlockNumber: number;
}

/**
 * What a worker needs of a block to sign it: the signature covers the header
 * and the metadata, never the data, so the data stays with the caller — all
 * but a single envelope (the writer checks whether a one-envelope block is a
 * config block). Views into `block`, no copy.
 */
export function signingStandIn(block: Block): Block {
  return { header: block.header, data: block.data.length === 1 ? block.data : [], metadata: block.metadata };
}

/** A block's metadata entries as its writer signed them (the block marshaled with these is the block to write). */
export interface SignedMetadata {
  readonly metadata: readonly Uint8Array[];
  /** Last config block number after this block (itself if it is a config block). */
  readonly lastConfigBlockNumber: number;
}

/**
 * Fills and signs a block's metadata as Fabric's BlockWriter does
 * (BlockMetadataWriter): `block` may be its signingStandIn. Returns the
 * metadata entries to marshal the block with.
 */
export function signBlockMetadata(
  identity: OrdererIdentity,
  block: Block,
  lastConfigBlockNumber: number,
  consenterMetadata: WireEtcdraftMetadata | undefined,
): SignedMetadata {
  const writer = new BlockMetadataWriter({ identity, lastConfigBlockNumber });
  const signed = writer.write(block, consenterMetadata);
  return { metadata: signed.metadata, lastConfigBlockNumber: writer.lastConfigBlockNumber };
}

/**
 * Fills and signs the block's metadata as Fabric's BlockWriter does
 * (BlockMetadataWriter), then marshals it. The writer is per call: the
 * last-config state belongs to the chain on the main thread, not to a worker.
 */
export function signAndMarshalBlock(
  identity: OrdererIdentity,
  block: Block,
  lastConfigBlockNumber: number,
  consenterMetadata: WireEtcdraftMetadata | undefined,
): SignedBlock {
  const writer = new BlockMetadataWriter({ identity, lastConfigBlockNumber });
  const signed = writer.write(block, consenterMetadata);
  return { bytes: encodeBlock(signed), lastConfigBlockNumber: writer.lastConfigBlockNumber };
}
