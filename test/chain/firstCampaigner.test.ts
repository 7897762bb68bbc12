// The first campaigner rule against Fabric's: sha256(channelID)[24:] decoded
// as a Go protobuf varint, modulo the cluster size, plus one. Expected ids are
// worked out by hand from the digest bytes noted beside each case.

import { describe, expect, it } from 'vitest';
import { firstCampaigner, goDecodeVarint } from '../../src/chain/index.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';

const provider = createCryptoProvider('native');
const sha256 = provider.hasher('sha256');
const sm3 = provider.hasher('sm3');

describe('goDecodeVarint (Go proto.DecodeVarint)', () => {
  it('decodes one-byte and multi-byte varints, ignoring the bytes after the end', () => {
    expect(goDecodeVarint(Uint8Array.of(0x05, 0xff, 0xff))).toBe(5n);
    expect(goDecodeVarint(Uint8Array.of(0x96, 0x01))).toBe(150n);
    expect(goDecodeVarint(Uint8Array.of(0x80, 0x80, 0x01, 0x7f))).toBe(16384n);
  });

  it('gives 0 when no byte ends the varint (Go returns n = 0 and Fabric uses the 0)', () => {
    expect(goDecodeVarint(new Uint8Array(8).fill(0xff))).toBe(0n);
    expect(goDecodeVarint(new Uint8Array(0))).toBe(0n);
  });
});

describe('firstCampaigner', () => {
  it("picks Fabric's node for single-byte varints", () => {
    // sha256("mychannel")[24:] = 34da..: varint 0x34 = 52; 52 % 3 + 1 = 2
    expect(firstCampaigner(sha256, 'mychannel', [1, 2, 3])).toBe(2);
    // sha256("ch1")[24:] = 7bc8..: 123 % 3 + 1 = 1
    expect(firstCampaigner(sha256, 'ch1', [1, 2, 3])).toBe(1);
  });

  it("picks Fabric's node for a two-byte varint", () => {
    // sha256("channel3")[24:] = b821..: 0x38 | 0x21 << 7 = 4280; 4280 % 3 + 1 = 3, 4280 % 5 + 1 = 1
    expect(firstCampaigner(sha256, 'channel3', [1, 2, 3])).toBe(3);
    expect(firstCampaigner(sha256, 'channel3', [1, 2, 3, 4, 5])).toBe(1);
  });

  it('with ids other than 1..n takes the (number % n)-th smallest id, so someone always campaigns', () => {
    expect(firstCampaigner(sha256, 'channel3', [4, 7, 9])).toBe(9);
    expect(firstCampaigner(sha256, 'mychannel', [10, 20, 30])).toBe(20);
  });

  it("uses the channel's hash: SM3 on a GM channel", () => {
    const digest = sm3.digest(new TextEncoder().encode('mychannel'));
    const expected = Number(goDecodeVarint(digest.subarray(24)) % 7n) + 1;
    expect(firstCampaigner(sm3, 'mychannel', [1, 2, 3, 4, 5, 6, 7])).toBe(expected);
    // The two hashes pick differently for at least one of a few channels (they are not the same rule).
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const differs = names.some((n) => firstCampaigner(sm3, n, [1, 2, 3, 4, 5, 6, 7]) !== firstCampaigner(sha256, n, [1, 2, 3, 4, 5, 6, 7]));
    expect(differs).toBe(true);
  });
});
