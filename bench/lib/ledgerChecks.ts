// Checks over a channel's blocks as a node serves them, shared by the e2e
// tests and the nemesis: hash chain and data hashes, full verification
// (creator and orderer signatures), the transactions' tx ids, and header
// bytes to compare chains across nodes.

import {
  createCreatorKeyResolver,
  dataHash,
  encodeBlock,
  encodeBlockHeader,
  formatBlockReport,
  headerHash,
  HeaderType,
  LedgerVerifier,
  readEnvelopeFields,
  type Block,
} from '../../src/block/index.js';
import { createCryptoProvider } from '../../src/crypto/index.js';
import type { HashAlgorithm } from '../../src/crypto/index.js';

/** Checks each block's data hash and that each previous hash is the header hash of the block before. Returns the first fault. */
export function hashChainFault(blocks: readonly Block[], algorithm: HashAlgorithm = 'sha256'): string | undefined {
  const hasher = createCryptoProvider('native').hasher(algorithm);
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i]!;
    if (block.header.number !== i) return `block at position ${i} is number ${block.header.number}`;
    if (Buffer.compare(dataHash(hasher, block.data), block.header.dataHash) !== 0) return `block ${i}: data hash does not match its data`;
    if (i > 0 && Buffer.compare(headerHash(hasher, blocks[i - 1]!.header), block.header.previousHash) !== 0) {
      return `block ${i}: previous hash is not the header hash of block ${i - 1}`;
    }
  }
  return undefined;
}

/**
 * Full ledger verification (block layer's LedgerVerifier): hash chain, data
 * hashes, every transaction's creator signature, every orderer signature in
 * the metadata. Returns one line per failure (empty when all is well).
 */
export function ledgerFailures(blocks: readonly Block[], algorithm: HashAlgorithm = 'sha256'): string[] {
  const provider = createCryptoProvider('native');
  const verifier = new LedgerVerifier({ hasher: provider.hasher(algorithm), verifier: (a) => provider.verifier(a), creatorKey: createCreatorKeyResolver() });
  return blocks.flatMap((block) => {
    const report = verifier.verifyBlock(encodeBlock(block));
    return report.failures.length === 0 ? [] : [formatBlockReport(report, `block ${block.header.number}`)];
  });
}

/**
 * Tx ids of the transactions in `blocks` after the genesis block, in order.
 * CONFIG envelopes are skipped: their tx id is empty (as Fabric's), so a
 * chain with several config blocks would otherwise show "duplicates".
 */
export function txIdsOf(blocks: readonly Block[]): string[] {
  return blocks.slice(1).flatMap((block) =>
    block.data
      .map((envelope) => readEnvelopeFields(envelope))
      .filter((fields) => fields.headerType !== HeaderType.CONFIG)
      .map((fields) => fields.txId),
  );
}

/** Header bytes of each block: equal across nodes iff the chains are the same (data hashes included). */
export function headersOf(blocks: readonly Block[]): string[] {
  return blocks.map((block) => Buffer.from(encodeBlockHeader(block.header)).toString('hex'));
}
