// The creator cache keyed by (tag, bytes): a digest picks the slot, the full
// bytes decide a hit, so colliding digests can only cause misses.

import { describe, expect, it } from 'vitest';
import { BytesKeyedLru, digest32 } from '../../src/crypto/bytesKeyedLru.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

/**
 * Two different 8-byte keys with the same digest, found by a birthday search
 * (~2^16 tries). Eight bytes, not four: on one word MurmurHash3 is a bijection.
 */
function collidingPair(tag: string): [Uint8Array, Uint8Array] {
  const keyOf = (n: number): Uint8Array => {
    const key = new Uint8Array(8);
    const view = new DataView(key.buffer);
    view.setUint32(0, n, true);
    view.setUint32(4, Math.imul(n, 0x9e3779b1) >>> 0, true);
    return key;
  };
  const seen = new Map<number, number>();
  for (let n = 0; n < 1 << 20; n++) {
    const digest = digest32(tag, keyOf(n));
    const earlier = seen.get(digest);
    if (earlier !== undefined) return [keyOf(earlier), keyOf(n)];
    seen.set(digest, n);
  }
  throw new Error('no digest collision in 2^20 keys');
}

describe('BytesKeyedLru', () => {
  it('hits only for the same tag and the same bytes, wherever the bytes sit in memory', () => {
    const cache = new BytesKeyedLru<string>(8);
    cache.set('Org1MSP', bytes(1, 2, 3, 4, 5), 'one');
    const elsewhere = new Uint8Array(16);
    elsewhere.set([1, 2, 3, 4, 5], 7);
    expect(cache.get('Org1MSP', elsewhere.subarray(7, 12))).toBe('one');
    expect(cache.get('Org2MSP', bytes(1, 2, 3, 4, 5))).toBeUndefined();
    expect(cache.get('Org1MSP', bytes(1, 2, 3, 4))).toBeUndefined();
    expect(cache.get('Org1MSP', bytes(1, 2, 3, 4, 6))).toBeUndefined();
  });

  it('keeps its own copy: changing the caller’s buffer afterwards changes nothing', () => {
    const cache = new BytesKeyedLru<string>(8);
    const key = bytes(9, 9, 9);
    cache.set('', key, 'nines');
    key[0] = 8;
    expect(cache.get('', bytes(9, 9, 9))).toBe('nines');
    expect(cache.get('', key)).toBeUndefined();
  });

  it('a digest collision is a miss, never the other key’s value; the newer key takes the slot', () => {
    const [a, b] = collidingPair('Org1MSP');
    expect(digest32('Org1MSP', a)).toBe(digest32('Org1MSP', b));
    const cache = new BytesKeyedLru<string>(8);
    cache.set('Org1MSP', a, 'a');
    expect(cache.get('Org1MSP', b)).toBeUndefined();
    expect(cache.delete('Org1MSP', b)).toBe(false);
    expect(cache.get('Org1MSP', a)).toBe('a');
    cache.set('Org1MSP', b, 'b');
    expect(cache.get('Org1MSP', b)).toBe('b');
    expect(cache.get('Org1MSP', a)).toBeUndefined();
    expect(cache.size).toBe(1);
  });

  it('is bounded, evicting the least recently used key', () => {
    const cache = new BytesKeyedLru<number>(2);
    cache.set('', bytes(1), 1);
    cache.set('', bytes(2), 2);
    expect(cache.get('', bytes(1))).toBe(1); // 2 is now the oldest
    cache.set('', bytes(3), 3);
    expect(cache.size).toBe(2);
    expect(cache.get('', bytes(2))).toBeUndefined();
    expect([cache.get('', bytes(1)), cache.get('', bytes(3))]).toEqual([1, 3]);
    expect(cache.delete('', bytes(1))).toBe(true);
    expect(cache.size).toBe(1);
  });

  it('the digest covers every byte, the tail bytes and the tag', () => {
    const base = new Uint8Array(1027).fill(0x41);
    const digests = new Set<number>([digest32('', base), digest32('x', base)]);
    for (const at of [0, 511, 1023, 1024, 1025, 1026]) {
      const changed = base.slice();
      changed[at] = 0x42;
      digests.add(digest32('', changed));
    }
    expect(digests.size).toBe(8);
  });
});

describe('BytesKeyedLru, the most recently used slot checked first', () => {
  it('answers a repeat of the last key without a digest, and only with the same tag and bytes', () => {
    const cache = new BytesKeyedLru<string>(8);
    cache.set('Org1MSP', bytes(1, 2, 3), 'one');
    const copy = new Uint8Array(8);
    copy.set([1, 2, 3], 5);
    expect(cache.get('Org1MSP', copy.subarray(5))).toBe('one');
    expect(cache.get('Org1MSP', bytes(1, 2, 3))).toBe('one');
    expect(cache.youngestHits).toBe(2);
    expect(cache.get('Org2MSP', bytes(1, 2, 3))).toBeUndefined();
    expect(cache.get('Org1MSP', bytes(1, 2, 4))).toBeUndefined();
    expect(cache.youngestHits).toBe(2);
  });

  it('follows the LRU order: a hit, a set or a colliding miss makes its slot the one checked first', () => {
    const cache = new BytesKeyedLru<number>(2);
    cache.set('', bytes(1), 1);
    cache.set('', bytes(2), 2);
    expect(cache.get('', bytes(1))).toBe(1); // by digest: 1 is now the youngest, 2 the oldest
    expect(cache.get('', bytes(1))).toBe(1);
    expect(cache.youngestHits).toBe(1);
    cache.set('', bytes(3), 3); // evicts 2
    expect(cache.get('', bytes(2))).toBeUndefined();
    expect(cache.get('', bytes(3))).toBe(3);
    expect(cache.youngestHits).toBe(2);

    const [a, b] = collidingPair('Org1MSP');
    const colliding = new BytesKeyedLru<string>(4);
    colliding.set('Org1MSP', a, 'a');
    colliding.set('Org1MSP', bytes(7), 'seven');
    expect(colliding.get('Org1MSP', b)).toBeUndefined(); // found a's slot under the digest: a is the youngest now
    expect(colliding.get('Org1MSP', a)).toBe('a');
    expect(colliding.youngestHits).toBe(1);
  });

  it('a deleted key is not answered from the memo', () => {
    const cache = new BytesKeyedLru<string>(8);
    cache.set('', bytes(5), 'five');
    expect(cache.delete('', bytes(5))).toBe(true);
    expect(cache.get('', bytes(5))).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
