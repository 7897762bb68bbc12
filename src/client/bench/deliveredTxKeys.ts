// What the harness's Deliver follower needs from a marshaled DeliverResponse:
// the status that ends the stream, or a block's number and the tx keys
// (txKey.ts) of its envelopes. Read in place and nothing allocated per
// envelope: each envelope is walked Envelope.payload(1) -> Payload.header(1)
// -> Header.channel_header(1) -> ChannelHeader.tx_id(5), every other field
// skipped by its length, and the id's first hex digits read as a number into
// a reused Float64Array. Bytes that do not frame as protobuf throw an Error
// naming the message.

import { txKeyAt } from './txKey.js';

/** One reader per stream: reused for every answer, it holds the last one read. */
export class DeliveredTxKeys {
  /** 'block' or 'status' once an answer was read ('none': neither field). */
  type: 'block' | 'status' | 'none' = 'none';
  status = 0;
  number = 0;
  /** keys[0..count): the block's envelopes that carry a tx id, in order (a config envelope has none). */
  keys = new Float64Array(1024);
  count = 0;

  /** Reads one DeliverResponse; returns its type. */
  read(bytes: Uint8Array): 'block' | 'status' | 'none' {
    this.type = 'none';
    this.count = 0;
    let i = 0;
    const end = bytes.length;
    while (i < end) {
      const key = varint(bytes, i, end, 'DeliverResponse');
      i = next;
      if (key === ((1 << 3) | 0)) {
        this.status = varint(bytes, i, end, 'DeliverResponse.status') | 0;
        i = next;
        this.type = 'status';
      } else if (key === ((2 << 3) | 2)) {
        const length = varint(bytes, i, end, 'DeliverResponse.block');
        const from = next;
        i = checkedEnd(from, length, end, 'DeliverResponse.block');
        this.#block(bytes, from, i);
        this.type = 'block';
      } else {
        i = skip(bytes, i, end, key, 'DeliverResponse');
      }
    }
    return this.type;
  }

  /** Block{header(1): BlockHeader{number(1)}, data(2): BlockData{data(1) repeated}, metadata(3)}. */
  #block(bytes: Uint8Array, start: number, end: number): void {
    let i = start;
    let sawHeader = false;
    while (i < end) {
      const key = varint(bytes, i, end, 'Block');
      i = next;
      if (key === ((1 << 3) | 2) || key === ((2 << 3) | 2)) {
        const length = varint(bytes, i, end, 'Block');
        const from = next;
        i = checkedEnd(from, length, end, 'Block');
        if (key >>> 3 === 1) {
          this.number = blockNumber(bytes, from, i);
          sawHeader = true;
        } else {
          this.#data(bytes, from, i);
        }
      } else {
        i = skip(bytes, i, end, key, 'Block');
      }
    }
    if (!sawHeader) throw new Error('DeliverResponse.block: no header');
  }

  #data(bytes: Uint8Array, start: number, end: number): void {
    let i = start;
    while (i < end) {
      const key = varint(bytes, i, end, 'BlockData');
      i = next;
      if (key !== ((1 << 3) | 2)) {
        i = skip(bytes, i, end, key, 'BlockData');
        continue;
      }
      const length = varint(bytes, i, end, 'BlockData.data');
      const from = next;
      i = checkedEnd(from, length, end, 'BlockData.data');
      const key0 = envelopeTxKey(bytes, from, i);
      if (key0 === NO_TX_ID) continue;
      if (this.count === this.keys.length) {
        const grown = new Float64Array(this.keys.length * 2);
        grown.set(this.keys);
        this.keys = grown;
      }
      this.keys[this.count++] = key0;
    }
  }
}

/** An envelope without a tx id (config), or one that does not frame as an Envelope: not counted as a transaction. */
const NO_TX_ID = -4;

/** Where the last varint (or field found) ended: module state, so that reading allocates nothing. */
let next = 0;
/** The end of the field `field` found. */
let fieldEnd = 0;

function varint(bytes: Uint8Array, start: number, end: number, what: string): number {
  let value = 0;
  let scale = 1;
  let i = start;
  for (;;) {
    if (i >= end) throw new Error(`${what}: truncated varint`);
    const b = bytes[i++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) break;
    scale *= 128;
    if (scale > 2 ** 63) throw new Error(`${what}: varint too long`);
  }
  next = i;
  return value;
}

function checkedEnd(from: number, length: number, end: number, what: string): number {
  if (from + length > end) throw new Error(`${what}: length ${length} runs past the end`);
  return from + length;
}

/** Skips the value of a field with key `key` at `i`; returns where the next key starts. */
function skip(bytes: Uint8Array, i: number, end: number, key: number, what: string): number {
  switch (key % 8) {
    case 0:
      varint(bytes, i, end, what);
      return next;
    case 1:
      return checkedEnd(i, 8, end, what);
    case 2: {
      const length = varint(bytes, i, end, what);
      return checkedEnd(next, length, end, what);
    }
    case 5:
      return checkedEnd(i, 4, end, what);
    default:
      throw new Error(`${what}: field ${Math.floor(key / 8)} has wire type ${key % 8}`);
  }
}

function blockNumber(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  let number = 0;
  while (i < end) {
    const key = varint(bytes, i, end, 'BlockHeader');
    i = next;
    if (key === ((1 << 3) | 0)) {
      number = varint(bytes, i, end, 'BlockHeader.number');
      i = next;
    } else {
      i = skip(bytes, i, end, key, 'BlockHeader');
    }
  }
  return number;
}

/** The [start, fieldEnd) of length-delimited field `field` in bytes[start, end); -1 if absent or the bytes do not frame. */
function findField(bytes: Uint8Array, start: number, end: number, field: number): number {
  let i = start;
  const wanted = (field << 3) | 2;
  try {
    while (i < end) {
      const key = varint(bytes, i, end, '');
      i = next;
      if (key === wanted) {
        const length = varint(bytes, i, end, '');
        const from = next;
        if (from + length > end) return -1;
        fieldEnd = from + length;
        return from;
      }
      i = skip(bytes, i, end, key, '');
    }
  } catch {
    return -1;
  }
  return -1;
}

/** The tx key of the envelope at bytes[start, end); NO_TX_ID when it carries none (or is not an envelope). */
function envelopeTxKey(bytes: Uint8Array, start: number, end: number): number {
  const payload = findField(bytes, start, end, 1);
  if (payload < 0) return NO_TX_ID;
  const header = findField(bytes, payload, fieldEnd, 1);
  if (header < 0) return NO_TX_ID;
  const channelHeader = findField(bytes, header, fieldEnd, 1);
  if (channelHeader < 0) return NO_TX_ID;
  const txId = findField(bytes, channelHeader, fieldEnd, 5);
  if (txId < 0 || txId === fieldEnd) return NO_TX_ID;
  return txKeyAt(bytes, txId, fieldEnd);
}
