// The data of a Raft entry that carries a block: the leader's marshaled block
// (Fabric's bytes, unchanged) with its envelopes' tx ids ahead of it, so that
// no node parses the envelopes again when it applies the entry (the tx-id
// window, the ledger's block head and the committed-ack waiters take them
// from here).
//
//   0x07 | version 1 | varint count | count × (varint byteLength, UTF-8 tx id) | block bytes
//
// 0x07 is a protobuf key of wire type 7, which no protobuf message can start
// with: an entry whose data does not start with it is a bare marshaled block
// (written before tx ids were carried, still in a WAL after an upgrade) and
// decodes as one, without tx ids.

import { MalformedMessageError } from './errors.js';
import { encodeBlockWithPrefix } from './codec/block.js';
import type { Block } from './model.js';

/** First byte of an entry with tx ids: a protobuf key of wire type 7 (invalid), so never the first byte of a marshaled block. */
export const BLOCK_ENTRY_MAGIC = 0x07;
export const BLOCK_ENTRY_VERSION = 1;

export interface DecodedBlockEntry {
  /** The marshaled block: a view into the entry's data, no copy. */
  readonly block: Uint8Array;
  /** Tx ids of the block's envelopes in block order; undefined for a bare block (an entry written before they were carried). */
  readonly txIds: string[] | undefined;
}

/**
 * The entry data for `block` whose envelopes have `txIds` (position i = the
 * tx id of envelope i, '' for none): one allocation, the block marshaled
 * straight behind the tx ids. The ids are written into the prefix in place
 * (ASCII, as tx ids are, byte by byte; anything else through Buffer's UTF-8
 * writer): a TextEncoder.encode per id made 500 small ArrayBuffers per block,
 * each a malloc and a backing store for the GC to sweep.
 */
export function encodeBlockEntry(block: Block, txIds: readonly string[]): Uint8Array {
  if (txIds.length !== block.data.length) throw new RangeError(`block entry: ${txIds.length} tx ids for ${block.data.length} envelopes`);
  const byteLengths = new Array<number>(txIds.length);
  let size = 2 + varintBytes(txIds.length);
  for (let i = 0; i < txIds.length; i++) {
    const id = txIds[i]!;
    const length = isAscii(id) ? id.length : Buffer.byteLength(id, 'utf8');
    byteLengths[i] = length;
    size += varintBytes(length) + length;
  }
  const prefix = Buffer.alloc(size);
  prefix[0] = BLOCK_ENTRY_MAGIC;
  prefix[1] = BLOCK_ENTRY_VERSION;
  let at = writeVarint(prefix, 2, txIds.length);
  for (let i = 0; i < txIds.length; i++) {
    const id = txIds[i]!;
    const length = byteLengths[i]!;
    at = writeVarint(prefix, at, length);
    // As many bytes as UTF-16 units only for ASCII: any other character takes more bytes in UTF-8.
    if (length === id.length) for (let c = 0; c < length; c++) prefix[at + c] = id.charCodeAt(c);
    else prefix.write(id, at, length, 'utf8');
    at += length;
  }
  return encodeBlockWithPrefix(block, prefix);
}

/** Every UTF-16 unit below 0x80: its UTF-8 bytes are its char codes. */
function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}

/**
 * Splits an entry's data into the marshaled block and its tx ids. Throws
 * MalformedMessageError (BAD_BLOCK) naming what is wrong with a tx-id section
 * that does not parse; the block itself is not decoded here.
 */
export function decodeBlockEntry(data: Uint8Array): DecodedBlockEntry {
  if (data.length === 0 || data[0] !== BLOCK_ENTRY_MAGIC) return { block: data, txIds: undefined };
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < 2 || buf[1] !== BLOCK_ENTRY_VERSION) throw bad(`version ${buf[1] ?? '(missing)'} is not ${BLOCK_ENTRY_VERSION}`);
  const cursor = { at: 2 };
  const count = readVarint(buf, cursor, 'tx id count');
  // Each tx id takes at least one byte (its length): a count beyond the bytes left is corruption, not a huge allocation.
  if (count > buf.length - cursor.at) throw bad(`tx id count ${count} exceeds the ${buf.length - cursor.at} bytes left`);
  const txIds = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const length = readVarint(buf, cursor, `tx id ${i} length`);
    const end = cursor.at + length;
    if (end > buf.length) throw bad(`tx id ${i} of ${length} bytes runs past the entry's end`);
    txIds[i] = length === 0 ? '' : buf.toString('utf8', cursor.at, end);
    cursor.at = end;
  }
  return { block: data.subarray(cursor.at), txIds };
}

function bad(what: string): MalformedMessageError {
  return new MalformedMessageError('BAD_BLOCK', 'block_entry', what);
}

function varintBytes(value: number): number {
  let n = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) n++;
  return n;
}

function writeVarint(out: Uint8Array, at: number, value: number): number {
  let v = value;
  while (v >= 0x80) {
    out[at++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[at++] = v;
  return at;
}

/** Varints up to 2^53 (tx id counts and lengths are far below). */
function readVarint(buf: Buffer, cursor: { at: number }, what: string): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    if (cursor.at >= buf.length) throw bad(`${what} runs past the entry's end`);
    const byte = buf[cursor.at++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 0x80;
  }
  throw bad(`${what} is longer than 8 bytes`);
}
