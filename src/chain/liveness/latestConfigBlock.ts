// The channel's latest config block as the other orderers serve it (Fabric's
// eviction suspector: the newest block, then the block its LAST_CONFIG
// metadata points at). Both come through the block puller, which verifies each
// on its own (data hash, a signature of an orderer organization): there is no
// local tip to chain them to, as in Fabric. The config block must also be the
// one the newest block names, and a CONFIG block.

import { isConfigBlock, readBlockSignatures, type Block } from '../../block/index.js';
import { OrdererError } from '../../errors.js';

/** Where blocks of the channel are read from (BlockPuller). Both return verified blocks. */
export interface ConfigBlockSource {
  /** The highest block the other orderers serve, or undefined when none answered. */
  newestBlock(): Promise<Block | undefined>;
  /** Block `number` from any other orderer, or undefined when none served it. */
  blockAt(number: number): Promise<Block | undefined>;
}

export type LatestConfig = { readonly kind: 'found'; readonly newest: number; readonly config: Block } | { readonly kind: 'unknown'; readonly reason: string };

/** Never rejects with an OrdererError: a failure is `unknown`, naming why. */
export async function fetchLatestConfigBlock(source: ConfigBlockSource): Promise<LatestConfig> {
  try {
    return await fetchOrThrow(source);
  } catch (err) {
    if (!(err instanceof OrdererError)) throw err;
    return { kind: 'unknown', reason: err.message };
  }
}

async function fetchOrThrow(source: ConfigBlockSource): Promise<LatestConfig> {
  const newest = await source.newestBlock();
  if (newest === undefined) return { kind: 'unknown', reason: 'no other orderer served its newest block' };
  const newestNumber = newest.header.number;
  const configNumber = readBlockSignatures(newest).lastConfigIndex ?? 0;
  if (configNumber > newestNumber) {
    return { kind: 'unknown', reason: `block ${newestNumber} names config block ${configNumber}, after itself` };
  }
  const config = configNumber === newestNumber ? newest : await source.blockAt(configNumber);
  if (config === undefined)
    return { kind: 'unknown', reason: `no other orderer served config block ${configNumber} (the LAST_CONFIG of block ${newestNumber})` };
  if (config.header.number !== configNumber) {
    return { kind: 'unknown', reason: `asked for config block ${configNumber}, got block ${config.header.number}` };
  }
  if (!isConfigBlock(config)) return { kind: 'unknown', reason: `block ${configNumber}, the LAST_CONFIG of block ${newestNumber}, is not a config block` };
  return { kind: 'found', newest: newestNumber, config };
}
