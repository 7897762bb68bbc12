// The Deliver follower frames gRPC messages out of DATA chunks into one
// buffer reused for every block: whatever the chunking, each message comes
// out whole and in order, and a compressed or too large one is refused.

import { describe, expect, it } from 'vitest';
import { frameMessages } from '../../../src/block/index.js';
import { BlockFramer, BlockFramingError } from '../../../src/client/bench/blockFramer.js';

const messages = [Buffer.alloc(0), Buffer.from('a'), Buffer.alloc(70_000, 7), Buffer.from('tail'), Buffer.alloc(200_000, 9)];
const stream = Buffer.from(frameMessages(messages));

function framed(cuts: number[]): string[] {
  const framer = new BlockFramer(1 << 20);
  const out: string[] = [];
  const at = [0, ...cuts, stream.length];
  for (let i = 1; i < at.length; i++) framer.push(stream.subarray(at[i - 1], at[i]), (m) => void out.push(m.toString('hex')));
  return out;
}

describe('BlockFramer', () => {
  it('hands over every message whole and in order however the stream is cut, the buffer reused and grown', () => {
    const expected = messages.map((m) => m.toString('hex'));
    expect(framed([])).toEqual(expected);
    expect(framed([1, 2, 3, 4, 5, 6, 7, 8])).toEqual(expected);
    expect(framed(Array.from({ length: Math.floor(stream.length / 16_384) }, (_, i) => (i + 1) * 16_384))).toEqual(expected);
    expect(framed(Array.from({ length: stream.length - 1 }, (_, i) => i + 1).filter((i) => i % 997 === 0 || i < 40))).toEqual(expected);
  });

  it('stops when the reader says so, and refuses compressed and too large messages', () => {
    const framer = new BlockFramer(1 << 20);
    const seen: number[] = [];
    expect(framer.push(stream, (m) => (seen.push(m.length), seen.length < 2))).toBe(false);
    expect(seen).toEqual([0, 1]);
    const compressed = Buffer.from([1, 0, 0, 0, 1, 0x41]);
    expect(() => new BlockFramer(100).push(compressed, () => true)).toThrow(BlockFramingError);
    expect(() => new BlockFramer(100).push(Buffer.from([0, 0, 0, 1, 0]), () => true)).toThrow(/larger than max \(256 vs. 100\)/);
  });
});
