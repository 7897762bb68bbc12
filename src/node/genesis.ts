// The genesis block of a channel created from a channel config file: every
// node must write the SAME block 0 (block 1's previous hash is the leader's
// block 0 hash), so it is built deterministically from the file's values by
// configtx's configtxgen-like builder (fixed timestamp, nonce derived from
// the channel id, map keys sorted) rather than written by one tool run and
// copied around. It carries the channel's real config tree, so a node that
// joins the channel from this block (`orderer channel join`) reads the same
// consenters, organizations, batch and Raft options from it.

import { buildGenesisBlock, encodeBlock } from '../block/index.js';
import type { ChannelConfig } from '../config/index.js';
import { createCryptoProvider } from '../crypto/index.js';
import { channelValuesOfConfig } from './channelValues.js';

export function genesisBlockOfChannel(channel: ChannelConfig): Uint8Array {
  const hasher = createCryptoProvider('native').hasher(channel.hashAlgorithm);
  return encodeBlock(buildGenesisBlock(channelValuesOfConfig(channel), hasher));
}
