// Block metadata as Fabric's multichannel BlockWriter fills it when a block is
// written (commitBlock: addLastConfig, then addBlockSignature):
//
//   metadata[LAST_CONFIG] = Metadata{value: LastConfig{index}}
//   metadata[SIGNATURES]  = Metadata{
//     value: OrdererBlockMetadata{last_config: {index},
//                                 consenter_metadata: Metadata{value: etcdraft BlockMetadata}},
//     signatures: [{signature_header: SignatureHeader{creator, nonce},
//                   signature: sign(value ‖ signature_header ‖ ASN.1 header bytes)}]}
//
// TRANSACTIONS_FILTER, ORDERER and COMMIT_HASH stay empty (the peer fills the
// filter). A config block becomes its own last config.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Signer } from '../crypto/index.js';
import { concatBytes } from './bytes.js';
import {
  decodeEtcdraftBlockMetadata,
  decodeLastConfig,
  decodeMetadata,
  decodeOrdererBlockMetadata,
  encodeEtcdraftBlockMetadata,
  encodeLastConfig,
  encodeMetadata,
  encodeOrdererBlockMetadata,
} from './codec/block.js';
import { decodeSignatureHeader, encodeSignatureHeader } from './codec/common.js';
import { readEnvelopeFields } from './envelopeFields.js';
import { blockHeaderBytes } from './headerHash.js';
import { BLOCK_METADATA_ENTRIES, BlockMetadataIndex, HeaderType, type Block, type EtcdraftBlockMetadata, type Metadata } from './model.js';

/** Fabric's crypto.NonceSize. */
export const NONCE_BYTES = 24;

export interface OrdererIdentity {
  readonly signer: Signer;
  /** Marshaled SerializedIdentity{mspid, id_bytes: PEM certificate} of `signer`. */
  readonly serializedIdentity: Uint8Array;
}

export interface BlockMetadataWriterOptions {
  readonly identity: OrdererIdentity;
  /** Number of the last config block in the ledger (0 for a fresh channel). */
  readonly lastConfigBlockNumber: number;
  /** Source of signature-header nonces; default: 24 random bytes. */
  readonly nonce?: () => Uint8Array;
}

/**
 * A config block: exactly one envelope, of header type CONFIG. Only the
 * orderer creates CONFIG envelopes (Broadcast refuses them from clients, and
 * refuses ORDERER_TRANSACTION, which Fabric 2 no longer supports), so a block
 * counting here holds a config the orderer produced and checked.
 * ORDERER_TRANSACTION does not count: such a block is never a channel's
 * LAST_CONFIG.
 */
export function isConfigBlock(block: Block): boolean {
  if (block.data.length !== 1) return false;
  return readEnvelopeFields(block.data[0]!, 'BAD_BLOCK').headerType === HeaderType.CONFIG;
}

export class BlockMetadataWriter {
  readonly #identity: OrdererIdentity;
  readonly #nonce: () => Uint8Array;
  /** Invariant: <= the number of every block written after it. */
  #lastConfigBlockNumber: number;

  constructor(options: BlockMetadataWriterOptions) {
    assert(
      Number.isSafeInteger(options.lastConfigBlockNumber) && options.lastConfigBlockNumber >= 0,
      'lastConfigBlockNumber must be a safe non-negative integer',
    );
    this.#identity = options.identity;
    this.#nonce = options.nonce ?? (() => new Uint8Array(randomBytes(NONCE_BYTES)));
    this.#lastConfigBlockNumber = options.lastConfigBlockNumber;
  }

  get lastConfigBlockNumber(): number {
    return this.#lastConfigBlockNumber;
  }

  /**
   * Returns `block` with LAST_CONFIG and SIGNATURES filled. `consenterMetadata`
   * is the etcdraft state after applying the block's raft entry (raft index
   * included); undefined writes an empty consenter metadata, as Fabric does
   * on a consensus-type migration. A block that already carries signatures
   * keeps them (Fabric signs only when SIGNATURES is empty).
   */
  write(block: Block, consenterMetadata: EtcdraftBlockMetadata | undefined): Block {
    assert(block.metadata.length >= BLOCK_METADATA_ENTRIES, "block metadata must have Fabric's five entries");
    assert(block.header.number >= this.#lastConfigBlockNumber, 'blocks must be written in order');
    if (isConfigBlock(block)) this.#lastConfigBlockNumber = block.header.number;
    const lastConfig = { index: this.#lastConfigBlockNumber };

    const metadata = [...block.metadata];
    metadata[BlockMetadataIndex.LAST_CONFIG] = encodeMetadata({ value: encodeLastConfig(lastConfig), signatures: [] });
    if (metadata[BlockMetadataIndex.SIGNATURES]!.length === 0) {
      const consenter = consenterMetadata === undefined ? new Uint8Array(0) : encodeEtcdraftBlockMetadata(consenterMetadata);
      const value = encodeOrdererBlockMetadata({
        lastConfig,
        consenterMetadata: encodeMetadata({ value: consenter, signatures: [] }),
      });
      const signatureHeader = encodeSignatureHeader({ creator: this.#identity.serializedIdentity, nonce: this.#nonce() });
      const signature = this.#identity.signer.sign(concatBytes([value, signatureHeader, blockHeaderBytes(block.header)]));
      metadata[BlockMetadataIndex.SIGNATURES] = encodeMetadata({
        value,
        signatures: [{ signatureHeader, signature, identifierHeader: new Uint8Array(0) }],
      });
    }
    return { header: block.header, data: block.data, metadata };
  }
}

/** What a block's SIGNATURES metadata says, decoded. */
export interface BlockSignatureInfo {
  readonly lastConfigIndex: number | undefined;
  readonly etcdraft: EtcdraftBlockMetadata | undefined;
  /** Per signature: who signed (marshaled SerializedIdentity), what, and the signature. */
  readonly signedData: readonly { readonly creator: Uint8Array; readonly data: Uint8Array; readonly signature: Uint8Array }[];
}

/**
 * Decodes the SIGNATURES metadata of a block, producing the signed data as
 * Fabric's BlockSignatureVerifier does (non-BFT: signature-header identities).
 * Throws MalformedMessageError (BAD_METADATA) naming the field.
 */
export function readBlockSignatures(block: Block): BlockSignatureInfo {
  const md = decodeSignaturesMetadata(block);
  const headerBytes = blockHeaderBytes(block.header);
  const signedData = md.signatures.map((sig, i) => {
    const sh = decodeSignatureHeader(sig.signatureHeader, { code: 'BAD_METADATA', path: `block.metadata[SIGNATURES].signatures[${i}].signature_header` });
    return { creator: sh.creator, data: concatBytes([md.value, sig.signatureHeader, headerBytes]), signature: sig.signature };
  });
  return { ...consenterMetadataOf(md), signedData };
}

/** What a block's SIGNATURES metadata value says about the chain (last config, etcdraft state), without the signatures. */
export interface BlockConsenterInfo {
  readonly lastConfigIndex: number | undefined;
  readonly etcdraft: EtcdraftBlockMetadata | undefined;
}

/**
 * readBlockSignatures without the signed data: neither the header marshaled
 * again nor the signature headers decoded, for a reader that needs only the
 * raft index or the last config (a pulled block, whose signature is checked
 * elsewhere or vouched for by a later one). Same errors for what it reads.
 */
export function readConsenterMetadata(block: Block): BlockConsenterInfo {
  return consenterMetadataOf(decodeSignaturesMetadata(block));
}

function decodeSignaturesMetadata(block: Block): Metadata {
  const raw = block.metadata[BlockMetadataIndex.SIGNATURES] ?? new Uint8Array(0);
  return decodeMetadata(raw, { code: 'BAD_METADATA', path: 'block.metadata[SIGNATURES]' });
}

function consenterMetadataOf(md: Metadata): BlockConsenterInfo {
  if (md.value.length === 0) return { lastConfigIndex: undefined, etcdraft: undefined };
  const obm = decodeOrdererBlockMetadata(md.value, { code: 'BAD_METADATA', path: 'block.metadata[SIGNATURES].value' });
  const consenter = decodeMetadata(obm.consenterMetadata, { code: 'BAD_METADATA', path: 'block.metadata[SIGNATURES].value.consenter_metadata' });
  const etcdraft =
    consenter.value.length > 0
      ? decodeEtcdraftBlockMetadata(consenter.value, { code: 'BAD_METADATA', path: 'block.metadata[SIGNATURES].value.consenter_metadata.value' })
      : undefined;
  return { lastConfigIndex: obm.lastConfig?.index, etcdraft };
}

/** The LAST_CONFIG metadata entry's index, if present (deprecated in Fabric but still written). */
export function readLastConfigEntry(block: Block): number | undefined {
  const raw = block.metadata[BlockMetadataIndex.LAST_CONFIG];
  if (raw === undefined) return undefined;
  const md = decodeMetadata(raw, { code: 'BAD_METADATA', path: 'block.metadata[LAST_CONFIG]' });
  return decodeLastConfig(md.value, { code: 'BAD_METADATA', path: 'block.metadata[LAST_CONFIG].value' }).index;
}
