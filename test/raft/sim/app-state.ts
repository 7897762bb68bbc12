// The replicated state machine of the simulation: it only remembers how far it
// has applied and a rolling checksum of every entry applied so far. Two nodes
// with the same (appliedIndex, checksum) applied the same sequence of entries
// (up to a 32-bit collision), which is what snapshots carry and what the
// invariant checker compares.

import assert from 'node:assert/strict';
import type { Entry } from '../../../src/raft/types.js';

export interface AppState {
  /** Index of the last applied entry (0: nothing applied). */
  readonly appliedIndex: number;
  /** FNV-1a over the keys of entries 1..appliedIndex, in order. */
  readonly checksum: number;
}

const fnvOffsetBasis = 0x811c9dc5;
const fnvPrime = 0x01000193;

export const emptyAppState: AppState = Object.freeze({ appliedIndex: 0, checksum: fnvOffsetBasis });

/**
 * A printable identity of an entry: term, type and payload. Client payloads
 * are ASCII in the simulation, so latin1 decoding is lossless and readable.
 */
export function entryKey(e: Entry): string {
  return `${e.term}/${e.type}/${latin1(e.data)}`;
}

export function latin1(data: Uint8Array): string {
  let s = '';
  for (const byte of data) s += String.fromCharCode(byte);
  return s;
}

export function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    assert.ok(code < 0x80, `payload must be ASCII: ${JSON.stringify(text)}`);
    out[i] = code;
  }
  return out;
}

/** The state after applying `e`, which must be the entry right after `state.appliedIndex`. */
export function applyEntry(state: AppState, e: Entry): AppState {
  assert.equal(e.index, state.appliedIndex + 1, `apply out of order: entry ${e.index} after ${state.appliedIndex}`);
  let h = state.checksum;
  const key = entryKey(e);
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), fnvPrime) >>> 0;
  // A separator so that ("ab","c") and ("a","bc") differ.
  h = Math.imul(h ^ 0xff, fnvPrime) >>> 0;
  return { appliedIndex: e.index, checksum: h };
}

const encodedSizeBytes = 12;

/** Snapshot payload: appliedIndex as a float64 (exact to 2^53), then the checksum as a uint32. */
export function encodeAppState(state: AppState): Uint8Array {
  const out = new Uint8Array(encodedSizeBytes);
  const view = new DataView(out.buffer);
  view.setFloat64(0, state.appliedIndex);
  view.setUint32(8, state.checksum);
  return out;
}

export function decodeAppState(data: Uint8Array): AppState {
  assert.equal(data.byteLength, encodedSizeBytes, `snapshot payload must be ${encodedSizeBytes} bytes, got ${data.byteLength}`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { appliedIndex: view.getFloat64(0), checksum: view.getUint32(8) };
}
