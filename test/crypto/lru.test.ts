import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LruCache } from '../../src/crypto/lru.js';

describe('LruCache', () => {
  it('evicts the least recently used entry, where a get counts as a use', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now younger than b
    cache.set('c', 3);
    expect(cache.has('b')).toBe(false);
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
  });

  it('matches a naive model and never exceeds its bound (property)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key: fc.nat(6), value: fc.nat() }),
      fc.record({ kind: fc.constant('get' as const), key: fc.nat(6) }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.nat(6) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 60 }), (max, ops) => {
        const cache = new LruCache<number, number>(max);
        // Model: array of [key, value], oldest first.
        let model: Array<[number, number]> = [];
        for (const o of ops) {
          const at = model.findIndex(([k]) => k === o.key);
          if (o.kind === 'set') {
            cache.set(o.key, o.value);
            if (at >= 0) model.splice(at, 1);
            model.push([o.key, o.value]);
            if (model.length > max) model = model.slice(1);
          } else if (o.kind === 'get') {
            const expected = at >= 0 ? model[at]![1] : undefined;
            expect(cache.get(o.key)).toBe(expected);
            if (at >= 0) model.push(model.splice(at, 1)[0]!);
          } else {
            expect(cache.delete(o.key)).toBe(at >= 0);
            if (at >= 0) model.splice(at, 1);
          }
          expect(cache.size).toBe(model.length);
          expect(cache.size).toBeLessThanOrEqual(max);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => new LruCache(0)).toThrow(/maxEntries/);
    expect(() => new LruCache(1.5)).toThrow(/maxEntries/);
  });
});
