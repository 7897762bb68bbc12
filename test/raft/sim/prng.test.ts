import { describe, expect, it } from 'vitest';
import { Prng } from './prng.js';

function draws(seed: number, n: number): number[] {
  const p = new Prng(seed);
  return Array.from({ length: n }, () => p.next());
}

describe('Prng', () => {
  it('replays the same sequence from the same seed', () => {
    expect(draws(42, 100)).toEqual(draws(42, 100));
  });

  it('gives different sequences for neighbouring seeds', () => {
    expect(draws(42, 10)).not.toEqual(draws(43, 10));
  });

  it('keeps every draw in range', () => {
    const p = new Prng(7);
    for (let i = 0; i < 10_000; i++) {
      const f = p.next();
      expect(f >= 0 && f < 1).toBe(true);
      const k = p.between(3, 5);
      expect(k >= 3 && k <= 5 && Number.isInteger(k)).toBe(true);
    }
  });

  it('reaches every value of a small range', () => {
    const p = new Prng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 1_000; i++) seen.add(p.int(6));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('never fires chance(0) and always fires chance(1)', () => {
    const p = new Prng(3);
    for (let i = 0; i < 1_000; i++) {
      expect(p.chance(0)).toBe(false);
      expect(p.chance(1)).toBe(true);
    }
  });

  it('shuffles into a permutation', () => {
    const p = new Prng(9);
    const items = [1, 2, 3, 4, 5, 6, 7];
    const out = p.shuffled(items);
    expect([...out].sort()).toEqual(items);
    expect(items).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});
