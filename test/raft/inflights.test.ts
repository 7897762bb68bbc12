import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Inflights } from '../../src/raft/inflights.js';

describe('Inflights', () => {
  it('is full at maxCount messages and frees acknowledged ones', () => {
    const in3 = new Inflights(3, 0);
    in3.add(1, 10);
    in3.add(2, 10);
    expect(in3.full()).toBe(false);
    in3.add(5, 10);
    expect(in3.full()).toBe(true);
    expect(() => in3.add(6, 1)).toThrow(/Full inflights/);
    in3.freeLE(2);
    expect(in3.count()).toBe(1);
    expect(in3.full()).toBe(false);
    in3.freeLE(4);
    expect(in3.count()).toBe(1);
    in3.freeLE(5);
    expect(in3.count()).toBe(0);
  });

  it('is full once in-flight bytes reach maxBytes', () => {
    const inf = new Inflights(100, 25);
    inf.add(1, 10);
    inf.add(2, 10);
    expect(inf.full()).toBe(false);
    inf.add(3, 5);
    expect(inf.full()).toBe(true);
    inf.freeLE(1);
    expect(inf.bytes()).toBe(15);
    expect(inf.full()).toBe(false);
  });

  it('refuses indexes that do not increase', () => {
    const inf = new Inflights(10, 0);
    inf.add(5, 1);
    expect(() => inf.add(5, 1)).toThrow(/not increasing/);
  });

  it('clone is independent', () => {
    const inf = new Inflights(10, 0);
    inf.add(1, 1);
    const c = inf.clone();
    inf.freeLE(1);
    expect(c.count()).toBe(1);
    expect(inf.count()).toBe(0);
  });

  it('matches a naive model under random add/freeLE sequences', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), gap: fc.integer({ min: 1, max: 5 }), bytes: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ kind: fc.constant('free' as const), back: fc.integer({ min: 0, max: 30 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 100 }), fc.array(op, { maxLength: 200 }), (maxCount, maxBytes, ops) => {
        const inf = new Inflights(maxCount, maxBytes);
        let model: Array<{ index: number; bytes: number }> = [];
        let last = 0;
        const modelBytes = () => model.reduce((s, x) => s + x.bytes, 0);
        const modelFull = () => model.length === maxCount || (maxBytes !== 0 && modelBytes() >= maxBytes);
        for (const o of ops) {
          if (o.kind === 'add') {
            if (modelFull()) continue;
            last += o.gap;
            inf.add(last, o.bytes);
            model.push({ index: last, bytes: o.bytes });
          } else {
            const to = last - o.back;
            inf.freeLE(to);
            model = model.filter((x) => x.index > to);
          }
          expect(inf.count()).toBe(model.length);
          expect(inf.bytes()).toBe(modelBytes());
          expect(inf.full()).toBe(modelFull());
        }
      }),
      { numRuns: 200 },
    );
  });
});
