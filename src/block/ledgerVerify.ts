// Verification of a Fabric block chain, block by block, as a peer or an
// auditor would check it: block numbers consecutive, data hash = hash of the
// data entries, previous hash = header hash of the block before, every
// transaction signed by its creator's certificate key over the payload bytes,
// and the orderer's block signature(s) over metadata value ‖ signature header ‖
// header bytes. It does NOT evaluate MSP trust (certificate chains, policies):
// it proves integrity and authorship, not authorization.
//
// Input order is the caller's; verifyBlock() is called once per block in
// chain order. Nothing here depends on a manifest: it works on any ledger.

import type { Hasher, SignatureAlgorithm, Verifier } from '../crypto/index.js';
import { decodeBlock } from './codec/block.js';
import { decodeSerializedIdentity } from './codec/common.js';
import { readBlockSignatures } from './blockMetadata.js';
import { readEnvelopeFields } from './envelopeFields.js';
import { OrdererError } from '../errors.js';
import { dataHash, headerHash } from './headerHash.js';
import type { Block } from './model.js';

export interface CreatorKey {
  readonly algorithm: SignatureAlgorithm;
  /** Uncompressed SEC1 point. */
  readonly publicKey: Uint8Array;
}

export interface LedgerVerifyOptions {
  /** Header and data hash of the chain (sha256; sm3 on GM channels). */
  readonly hasher: Hasher;
  readonly verifier: (algorithm: SignatureAlgorithm) => Verifier;
  /** The signing key of a creator's id_bytes (a PEM certificate); throws OrdererError if unusable. */
  readonly creatorKey: (idBytes: Uint8Array) => CreatorKey;
}

export type BlockFailure =
  | { readonly kind: 'unreadable'; readonly detail: string }
  | { readonly kind: 'malformed-block'; readonly detail: string }
  | { readonly kind: 'number'; readonly expected: number; readonly actual: number }
  | { readonly kind: 'data-hash'; readonly stored: string; readonly computed: string }
  | { readonly kind: 'previous-hash'; readonly stored: string; readonly expected: string }
  | { readonly kind: 'tx-signature'; readonly tx: number; readonly creatorMspId: string }
  | { readonly kind: 'tx-invalid'; readonly tx: number; readonly detail: string }
  | { readonly kind: 'orderer-signature'; readonly signature: number; readonly detail: string };

export interface BlockReport {
  /** From the header; undefined when the block did not decode. */
  readonly number: number | undefined;
  readonly txCount: number;
  /** Hex header hash; '' when the block did not decode. */
  readonly headerHash: string;
  readonly failures: readonly BlockFailure[];
  /** Facts that are not failures, e.g. an unsigned genesis config transaction. */
  readonly notes: readonly string[];
}

export class LedgerVerifier {
  readonly #options: LedgerVerifyOptions;
  /** The previous block in chain order, once one decoded. */
  #previous: { readonly number: number; readonly headerHash: Uint8Array } | undefined;

  constructor(options: LedgerVerifyOptions) {
    this.#options = options;
  }

  /** Records a block that could not be read at all; the chain restarts after it. */
  unreadableBlock(reason: string): BlockReport {
    this.#previous = undefined;
    return { number: undefined, txCount: 0, headerHash: '', failures: [{ kind: 'unreadable', detail: reason }], notes: [] };
  }

  /** Verifies the next block of the chain (marshaled common.Block). */
  verifyBlock(bytes: Uint8Array): BlockReport {
    let block: Block;
    try {
      block = decodeBlock(bytes);
    } catch (err) {
      if (!(err instanceof OrdererError)) throw err;
      // The chain cannot be followed through an unreadable block.
      this.#previous = undefined;
      return { number: undefined, txCount: 0, headerHash: '', failures: [{ kind: 'malformed-block', detail: err.message }], notes: [] };
    }
    const { hasher } = this.#options;
    const failures: BlockFailure[] = [];
    const notes: string[] = [];
    const hash = headerHash(hasher, block.header);

    const previous = this.#previous;
    if (previous !== undefined) {
      if (block.header.number !== previous.number + 1) {
        failures.push({ kind: 'number', expected: previous.number + 1, actual: block.header.number });
      }
      if (!equalBytes(block.header.previousHash, previous.headerHash)) {
        failures.push({ kind: 'previous-hash', stored: toHex(block.header.previousHash), expected: toHex(previous.headerHash) });
      }
    }
    const computed = dataHash(hasher, block.data);
    if (!equalBytes(computed, block.header.dataHash)) {
      failures.push({ kind: 'data-hash', stored: toHex(block.header.dataHash), computed: toHex(computed) });
    }
    block.data.forEach((envelope, tx) => this.#verifyTransaction(block, envelope, tx, failures, notes));
    this.#verifyOrdererSignatures(block, failures, notes);

    this.#previous = { number: block.header.number, headerHash: hash };
    return { number: block.header.number, txCount: block.data.length, headerHash: toHex(hash), failures, notes };
  }

  #verifyTransaction(block: Block, envelope: Uint8Array, tx: number, failures: BlockFailure[], notes: string[]): void {
    try {
      const fields = readEnvelopeFields(envelope);
      if (fields.creator.length === 0 && fields.signature.length === 0) {
        // configtxgen writes the genesis config transaction unsigned; anywhere else it is a forgery.
        if (block.header.number === 0) notes.push(`tx ${tx} unsigned (genesis config)`);
        else failures.push({ kind: 'tx-invalid', tx, detail: 'unsigned (no creator, no signature)' });
        return;
      }
      const key = this.#options.creatorKey(decodeSerializedIdentity(fields.creator).idBytes);
      if (!this.#options.verifier(key.algorithm).verify(key.publicKey, fields.payload, fields.signature)) {
        failures.push({ kind: 'tx-signature', tx, creatorMspId: fields.creatorMspId });
      }
    } catch (err) {
      if (!(err instanceof OrdererError)) throw err;
      failures.push({ kind: 'tx-invalid', tx, detail: err.message });
    }
  }

  #verifyOrdererSignatures(block: Block, failures: BlockFailure[], notes: string[]): void {
    let signatures;
    try {
      signatures = readBlockSignatures(block).signedData;
    } catch (err) {
      if (!(err instanceof OrdererError)) throw err;
      failures.push({ kind: 'orderer-signature', signature: 0, detail: err.message });
      return;
    }
    if (signatures.length === 0) {
      if (block.header.number === 0) notes.push('genesis block has no orderer signature');
      else failures.push({ kind: 'orderer-signature', signature: 0, detail: 'block carries no orderer signature' });
      return;
    }
    signatures.forEach((signed, i) => {
      if (signed.creator.length === 0) {
        // BFT orderers identify themselves by consenter id, which needs the channel config to resolve.
        notes.push(`orderer signature ${i} identified by consenter id, not checked`);
        return;
      }
      try {
        const key = this.#options.creatorKey(
          decodeSerializedIdentity(signed.creator, { code: 'BAD_METADATA', path: `orderer signature ${i} creator` }).idBytes,
        );
        if (!this.#options.verifier(key.algorithm).verify(key.publicKey, signed.data, signed.signature)) {
          failures.push({ kind: 'orderer-signature', signature: i, detail: 'bad signature' });
        }
      } catch (err) {
        if (!(err instanceof OrdererError)) throw err;
        failures.push({ kind: 'orderer-signature', signature: i, detail: err.message });
      }
    });
  }
}

/** One human-readable line per block: number, tx count, header hash, OK or the failures. */
export function formatBlockReport(report: BlockReport, label: string): string {
  const number = report.number === undefined ? '?' : String(report.number);
  const head = `block ${number.padStart(4)}  txs ${String(report.txCount).padStart(4)}  header ${report.headerHash || '-'.repeat(64)}`;
  const notes = report.notes.length > 0 ? `  (${report.notes.join('; ')})` : '';
  if (report.failures.length === 0) return `${head}  OK${notes}`;
  return `${head}  FAIL ${report.failures.map(describeFailure).join('; ')}  [${label}]${notes}`;
}

export function describeFailure(failure: BlockFailure): string {
  switch (failure.kind) {
    case 'unreadable':
      return `unreadable block file: ${failure.detail}`;
    case 'malformed-block':
      return `malformed block: ${failure.detail}`;
    case 'number':
      return `block number mismatch: expected ${failure.expected}, found ${failure.actual}`;
    case 'data-hash':
      return `data hash mismatch: header says ${failure.stored}, data hashes to ${failure.computed}`;
    case 'previous-hash':
      return `previous hash mismatch: header says ${failure.stored}, previous block hashes to ${failure.expected}`;
    case 'tx-signature':
      return `bad signature in tx ${failure.tx} (creator ${failure.creatorMspId || '<no mspid>'})`;
    case 'tx-invalid':
      return `invalid tx ${failure.tx}: ${failure.detail}`;
    case 'orderer-signature':
      return `bad orderer signature ${failure.signature}: ${failure.detail}`;
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Bound on one block file: Fabric's AbsoluteMaxBytes ceiling is far below it. */
export const BLOCK_FILE_BYTES_MAX = 512 * 1024 * 1024;

/** A block file as read: its bytes, or why it could not be read. */
export type LedgerFile = { readonly name: string; readonly bytes: Uint8Array } | { readonly name: string; readonly unreadable: string };

export interface LedgerSummary {
  readonly blocks: number;
  /** File names of the blocks that failed, in order. */
  readonly failed: readonly string[];
  readonly ok: boolean;
}

/**
 * The NNN.block file names of a directory in numeric order (000.block,
 * 001.block, ... 1000.block): numeric, not lexical, so widths may differ.
 */
export function ledgerFileNames(names: readonly string[]): string[] {
  return names.filter((n) => /^\d+\.block$/.test(n)).sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
}

/** Verifies blocks in order, reporting one line per block through `print`. */
export function verifyLedgerFiles(files: Iterable<LedgerFile>, options: LedgerVerifyOptions, print: (line: string) => void): LedgerSummary {
  const verifier = new LedgerVerifier(options);
  const failed: string[] = [];
  let blocks = 0;
  for (const file of files) {
    blocks++;
    const report = 'bytes' in file ? verifier.verifyBlock(file.bytes) : verifier.unreadableBlock(file.unreadable);
    if (report.failures.length > 0) failed.push(file.name);
    print(formatBlockReport(report, file.name));
  }
  return { blocks, failed, ok: blocks > 0 && failed.length === 0 };
}

export function formatSummary(summary: LedgerSummary): string {
  if (summary.blocks === 0) return 'no NNN.block files found';
  if (summary.ok) return `${summary.blocks} blocks verified: all OK`;
  return `${summary.blocks} blocks verified: ${summary.failed.length} FAILED (${summary.failed.join(', ')})`;
}
