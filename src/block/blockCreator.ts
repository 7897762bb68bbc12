// Block creator, as Fabric's etcdraft blockCreator + protoutil.NewBlock: the
// leader numbers blocks and chains them by header hash from the last block it
// CREATED (not the last committed), so it can propose several blocks ahead of
// the commit index. Metadata starts as five empty entries; the signature and
// last-config metadata are filled when the block is written (blockMetadata.ts).
//
// A new leader starts a new creator from the last committed block.

import assert from 'node:assert/strict';
import type { Hasher } from '../crypto/index.js';
import { encodeLastConfig, encodeMetadata, encodeOrdererBlockMetadata } from './codec/block.js';
import { dataHash, headerHash, type HeaderFields } from './headerHash.js';
import { BLOCK_METADATA_ENTRIES, BlockMetadataIndex, EMPTY_BYTES, type Block } from './model.js';

export class BlockCreator {
  readonly #hasher: Hasher;
  /** Number of the last created block. Invariant: safe non-negative integer. */
  #number: number;
  /** Header hash of the last created block. */
  #hash: Uint8Array;

  /** `lastBlock`: header of the last block in the ledger (or of the last created one). */
  constructor(hasher: Hasher, lastBlock: HeaderFields) {
    if (!(Number.isSafeInteger(lastBlock.number) && lastBlock.number >= 0))
      assert.fail(`lastBlock.number must be a safe non-negative integer, got ${lastBlock.number}`);
    this.#hasher = hasher;
    this.#number = lastBlock.number;
    this.#hash = headerHash(hasher, lastBlock);
  }

  /** Number of the last block created (or of the starting block). */
  get lastNumber(): number {
    return this.#number;
  }

  /** Header hash of the last block created (or of the starting block). */
  get lastHash(): Uint8Array {
    return this.#hash;
  }

  /**
   * The next block over `envelopes` (marshaled Envelopes, kept by reference).
   * `precomputedDataHash`: the data hash when it was computed elsewhere (the
   * worker pool); it must equal dataHash(hasher, envelopes).
   */
  createNextBlock(envelopes: readonly Uint8Array[], precomputedDataHash?: Uint8Array): Block {
    assert(envelopes.length > 0, 'a block needs at least one envelope');
    assert(this.#number < Number.MAX_SAFE_INTEGER, 'block number would exceed 2^53 - 1');
    const header = {
      number: this.#number + 1,
      previousHash: this.#hash,
      dataHash: precomputedDataHash ?? dataHash(this.#hasher, envelopes),
    };
    this.#number = header.number;
    this.#hash = headerHash(this.#hasher, header);
    return unsignedBlock(header, [...envelopes]);
  }

  /** Number and previous hash of the next block, for a block built elsewhere (the worker pool) and then appended. */
  nextHeaderStart(): { readonly number: number; readonly previousHash: Uint8Array } {
    assert(this.#number < Number.MAX_SAFE_INTEGER, 'block number would exceed 2^53 - 1');
    return { number: this.#number + 1, previousHash: this.#hash };
  }

  /**
   * The next block, built elsewhere on nextHeaderStart() with its data hash:
   * later blocks chain on it (its header hash is computed here, a few µs).
   */
  appendHeader(header: HeaderFields): void {
    if (header.number !== this.#number + 1) assert.fail(`appended block ${header.number} does not follow block ${this.#number}`);
    assert(equalBytes(header.previousHash, this.#hash), `appended block ${header.number} does not chain on the last block's header hash`);
    this.#number = header.number;
    this.#hash = headerHash(this.#hasher, header);
  }
}

/** A new block over `data`, its metadata five empty entries (filled when the block is written: blockMetadata.ts). */
export function unsignedBlock(header: HeaderFields, data: readonly Uint8Array[]): Block {
  return { header, data, metadata: Array.from({ length: BLOCK_METADATA_ENTRIES }, () => EMPTY_BYTES) };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/**
 * A channel's genesis block around its config transaction, as Fabric's
 * genesis factory (configtxgen) writes it: number 0, no previous hash,
 * LAST_CONFIG 0 and an unsigned SIGNATURES entry holding OrdererBlockMetadata{last_config: 0}.
 */
export function createGenesisBlock(hasher: Hasher, configEnvelope: Uint8Array): Block {
  const data = [configEnvelope];
  const metadata: Uint8Array[] = Array.from({ length: BLOCK_METADATA_ENTRIES }, () => EMPTY_BYTES);
  metadata[BlockMetadataIndex.LAST_CONFIG] = encodeMetadata({ value: encodeLastConfig({ index: 0 }), signatures: [] });
  metadata[BlockMetadataIndex.SIGNATURES] = encodeMetadata({
    value: encodeOrdererBlockMetadata({ lastConfig: { index: 0 }, consenterMetadata: EMPTY_BYTES }),
    signatures: [],
  });
  return { header: { number: 0, previousHash: EMPTY_BYTES, dataHash: dataHash(hasher, data) }, data, metadata };
}
