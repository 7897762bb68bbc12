// Strings packed for a trip to a worker thread: one string and one Uint32Array
// of UTF-16 lengths, which a structured clone copies as two values instead of
// one per entry (a block's 500 tx ids).

import assert from 'node:assert/strict';
import type { PackedStrings } from './protocol.js';

export function packStrings(entries: readonly string[]): PackedStrings {
  const lengths = new Uint32Array(entries.length);
  for (let i = 0; i < entries.length; i++) lengths[i] = entries[i]!.length;
  return { joined: entries.join(''), lengths };
}

export function unpackStrings(packed: PackedStrings): string[] {
  const { joined, lengths } = packed;
  const out = new Array<string>(lengths.length);
  let at = 0;
  for (let i = 0; i < lengths.length; i++) {
    const end = at + lengths[i]!;
    out[i] = joined.slice(at, end);
    at = end;
  }
  assert.equal(at, joined.length, 'packed strings: the lengths do not cover the joined string');
  return out;
}
