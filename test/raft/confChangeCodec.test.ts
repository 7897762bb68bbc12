import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfChangeType, decodeConfChange, encodeConfChange, RaftError } from '../../src/raft/index.js';

describe('ConfChange encoding', () => {
  it('round-trips every change', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(ConfChangeType.AddNode, ConfChangeType.RemoveNode, ConfChangeType.UpdateNode, ConfChangeType.AddLearnerNode),
        fc.maxSafeNat(),
        fc.option(fc.uint8Array({ minLength: 1, maxLength: 40 }), { nil: undefined }),
        (type, nodeId, context) => {
          const cc = context ? { type, nodeId, context } : { type, nodeId };
          expect(decodeConfChange(encodeConfChange(cc))).toEqual(cc);
        },
      ),
    );
  });

  it('is stable: the layout is version, type, u64 id, u32 context length', () => {
    const bytes = encodeConfChange({ type: ConfChangeType.RemoveNode, nodeId: 258 });
    expect(Array.from(bytes)).toEqual([1, 1, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0]);
  });

  it('refuses malformed input with a RaftError naming the problem', () => {
    const good = encodeConfChange({ type: ConfChangeType.AddNode, nodeId: 3 });
    const codeOf = (data: Uint8Array): string => {
      try {
        decodeConfChange(data);
      } catch (err) {
        expect(err).toBeInstanceOf(RaftError);
        return (err as Error).message;
      }
      return 'decoded';
    };
    expect(codeOf(good.slice(0, 5))).toMatch(/too short/);
    expect(codeOf(Uint8Array.from([9, ...good.slice(1)]))).toMatch(/version 9/);
    expect(codeOf(Uint8Array.from([1, 77, ...good.slice(2)]))).toMatch(/type 77/);
    expect(codeOf(Uint8Array.from([...good, 5]))).toMatch(/context length/);
  });

  it('refuses ids beyond 2^53 - 1', () => {
    expect(() => encodeConfChange({ type: ConfChangeType.AddNode, nodeId: 2 ** 53 })).toThrow(RaftError);
    const big = encodeConfChange({ type: ConfChangeType.AddNode, nodeId: 1 });
    big.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 2);
    expect(() => decodeConfChange(big)).toThrow(/exceeds 2\^53/);
  });
});
