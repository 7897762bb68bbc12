// The genesis block of a channel the local tooling creates: every node must
// write the SAME block 0 (block 1's previous hash is the leader's block 0
// hash), so it is built deterministically from the channel id alone — fixed
// timestamp, nonce derived from the channel id — rather than written by one
// tool run and copied around. Shaped as configtxgen's: one unsigned CONFIG
// envelope. Its ConfigEnvelope is empty: this orderer takes a channel's
// configuration from its channel config file, not from the config block.

import { computeTxId, createGenesisBlock, createSignedEnvelope, encodeBlock, HeaderType, NONCE_BYTES, EMPTY_BYTES } from '../block/index.js';
import { createCryptoProvider } from '../crypto/provider.js';
import type { HashAlgorithm } from '../crypto/types.js';

export function deterministicGenesisBlock(channelId: string, hashAlgorithm: HashAlgorithm): Uint8Array {
  const provider = createCryptoProvider('native');
  const sha256 = provider.hasher('sha256');
  const nonce = sha256.digest(new TextEncoder().encode(`genesis:${channelId}`)).subarray(0, NONCE_BYTES);
  const configEnvelope = createSignedEnvelope({
    type: HeaderType.CONFIG,
    channelId,
    data: EMPTY_BYTES,
    nonce,
    txId: computeTxId(sha256, nonce, EMPTY_BYTES),
    timestamp: { seconds: 0, nanos: 0 },
  });
  return encodeBlock(createGenesisBlock(provider.hasher(hashAlgorithm), configEnvelope));
}
