// A block task's header must not drag the block's bytes along: its hashes are
// views into the decoded block, and a structured clone copies a view's whole buffer.

import { serialize } from 'node:v8';
import { expect, it } from 'vitest';
import { wireHeader } from '../../src/workers/pool.js';

it('gives the header hashes buffers of their own, same bytes', () => {
  const blockBytes = new Uint8Array(512 * 1024).map((_, i) => i & 0xff);
  const header = { number: 7, previousHash: blockBytes.subarray(100, 132), dataHash: blockBytes.subarray(200, 232) };
  const wire = wireHeader(header);
  expect(wire.number).toBe(7);
  expect(wire.previousHash.buffer.byteLength).toBe(32);
  expect(wire.dataHash.buffer.byteLength).toBe(32);
  expect([...wire.previousHash]).toEqual([...header.previousHash]);
  expect([...wire.dataHash]).toEqual([...header.dataHash]);
});

it('copies hashes that are Node Buffer views too (a block decoded from a received Raft message)', () => {
  const message = Buffer.alloc(512 * 1024, 7);
  const header = { number: 8, previousHash: message.subarray(100, 132), dataHash: message.subarray(200, 232) };
  const wire = wireHeader(header);
  expect(wire.previousHash.buffer.byteLength).toBe(32);
  expect(wire.dataHash.buffer.byteLength).toBe(32);
  expect(Buffer.from(wire.previousHash).equals(header.previousHash)).toBe(true);
  // Posting it to a worker clones the header alone (v8.serialize is that clone), not the message it was decoded from.
  expect(serialize(wire).byteLength).toBeLessThan(1024);
});
