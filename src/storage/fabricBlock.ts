// Fills the ledger's input type from a marshaled Fabric block with the block
// layer's decoder and header hash (ASN.1 DER, as protoutil.BlockHeaderHash),
// so the append rule checks the same hash chain Fabric peers check.

import { isConfigBlock } from '../block/index.js';
import { decodeBlock, type Block } from '../block/index.js';
import { readTxIds } from '../block/index.js';
import { headerHash } from '../block/index.js';
import type { Hasher } from '../crypto/index.js';
import type { LedgerBlock } from './walOps.js';

/**
 * `bytes`: a marshaled common.Block (kept by reference: the ledger owns it
 * once appended). `raftIndex`: the Raft entry the block came from (0 for a
 * genesis block). Throws MalformedMessageError naming the field on bad bytes.
 */
export function ledgerBlockFromFabric(bytes: Uint8Array, hasher: Hasher, raftIndex: number): LedgerBlock {
  const block = decodeBlock(bytes);
  return ledgerBlockOfDecoded(block, bytes, headerHash(hasher, block.header), raftIndex);
}

/**
 * The same from a block already decoded from `bytes` and its header hash (a
 * pulled block, decoded and hashed once to verify it): nothing decoded or
 * hashed again. Throws MalformedMessageError on unreadable tx ids.
 */
export function ledgerBlockOfDecoded(block: Block, bytes: Uint8Array, blockHeaderHash: Uint8Array, raftIndex: number): LedgerBlock {
  return {
    number: block.header.number,
    headerHash: blockHeaderHash,
    previousHash: block.header.previousHash,
    raftIndex,
    isConfig: isConfigBlock(block),
    txIds: readTxIds(block.data, 'BAD_BLOCK'),
    bytes,
  };
}
