// Fifo against an array used as a queue: same order, same length, through compactions.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fifo } from '../../src/chain/fifo.js';

describe('Fifo', () => {
  it('behaves as an array queue under any mix of push, pushAll, shift and drain', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant('shift'), fc.constant('drain'), fc.integer({ min: 1, max: 3000 })), { maxLength: 60 }), (ops) => {
        const fifo = new Fifo<number>();
        let model: number[] = [];
        let next = 0;
        for (const op of ops) {
          if (op === 'shift') expect(fifo.shift()).toBe(model.shift());
          else if (op === 'drain') {
            expect(fifo.drain()).toEqual(model);
            model = [];
          } else {
            const items = Array.from({ length: op }, () => next++);
            if (op === 1) fifo.push(items[0]!);
            else fifo.pushAll(items);
            model = model.concat(items);
            // Consume most of them so the consumed prefix triggers compaction.
            for (let i = 0; i < Math.floor(op * 0.9); i++) expect(fifo.shift()).toBe(model.shift());
          }
          expect(fifo.length).toBe(model.length);
        }
      }),
      { numRuns: 100 },
    );
  });
});
