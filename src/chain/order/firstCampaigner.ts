// Which consenter campaigns at once on a fresh channel, so that start-up does
// not wait an election timeout. Fabric (etcdraft/node.go, start):
//
//   sha := sha256.Sum256([]byte(chainID))
//   number, _ := proto.DecodeVarint(sha[24:])
//   campaign = config.ID == number % len(peers) + 1
//
// We compute the same number: the channel id's UTF-8 bytes hashed with the
// channel's hash (SHA-256, or SM3 on a GM channel as GM forks of Fabric do),
// then a protobuf varint decoded from digest bytes [24, 32) exactly as Go's
// proto.DecodeVarint does (little-endian 7-bit groups up to the first byte
// below 0x80; if none of the 8 bytes ends the varint, the decode fails and Go
// uses 0). With consenter ids 1..n the campaigner is id `number % n + 1`, as
// Fabric; with other ids it is the (number % n)-th smallest id, so that some
// node always campaigns (Fabric's rule would pick nobody).

import assert from 'node:assert/strict';
import type { Hasher } from '../../crypto/index.js';

/** Go's proto.DecodeVarint over `bytes`: the value, or 0n when the varint does not end inside them. */
export function goDecodeVarint(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = 0; i < bytes.length && i < 10; i++) {
    const b = bytes[i]!;
    value |= BigInt(b & 0x7f) << BigInt(7 * i);
    if (b < 0x80) return value;
  }
  return 0n;
}

/** The consenter id that campaigns first on a fresh channel. `consenters`: sorted, distinct. */
export function firstCampaigner(hasher: Hasher, channelId: string, consenters: readonly number[]): number {
  assert(consenters.length > 0, 'firstCampaigner needs at least one consenter');
  const digest = hasher.digest(new TextEncoder().encode(channelId));
  assert(digest.length === 32, `a ${hasher.algorithm} digest must be 32 bytes`);
  const number = goDecodeVarint(digest.subarray(24));
  return consenters[Number(number % BigInt(consenters.length))]!;
}
