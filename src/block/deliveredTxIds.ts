// What a Deliver client that only counts commits needs from a marshaled
// DeliverResponse: the status that ends the stream, or a block's number and
// its envelopes' tx ids. Read in place with one reader re-pointed at each
// nested message: no Block object, no envelope views, nothing copied but the
// ids; metadata is skipped. Malformed bytes throw MalformedMessageError
// (BAD_RESPONSE) naming the field, as decodeDeliverResponse does.

import { readTxIdAt } from './envelopeFields.js';
import { ProtoReader, WIRE_LEN, WIRE_VARINT } from './wire/reader.js';

export type DeliveredTxIds =
  | { readonly type: 'status'; readonly status: number }
  | { readonly type: 'block'; readonly number: number; readonly txIds: string[] }
  | { readonly type: 'none' };

const PATH = 'deliver_response';

export function readDeliveredTxIds(bytes: Uint8Array): DeliveredTxIds {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r = new ProtoReader(buf, 'BAD_RESPONSE', PATH);
  let result: DeliveredTxIds = { type: 'none' };
  while (!r.done) {
    const key = r.key();
    if (key >>> 3 === 1) {
      r.expect(key, WIRE_VARINT, 'status');
      result = { type: 'status', status: r.int32('status') };
    } else if (key >>> 3 === 2) {
      r.expect(key, WIRE_LEN, 'block');
      const start = r.lenStart('block');
      const end = r.pos;
      result = readBlock(r, start, end);
      r.reset(end, buf.length, PATH);
    } else {
      r.skip(key & 7, `field ${key >>> 3}`);
    }
  }
  return result;
}

/** Block{header: BlockHeader{number}, data: BlockData{repeated data}} at buf[start, end). */
function readBlock(r: ProtoReader, start: number, end: number): DeliveredTxIds {
  let header: [number, number] | undefined;
  let data: [number, number] | undefined;
  r.reset(start, end, `${PATH}.block`);
  while (!r.done) {
    const key = r.key();
    const field = key >>> 3;
    if (field === 1 || field === 2) {
      r.expect(key, WIRE_LEN, field === 1 ? 'header' : 'data');
      const from = r.lenStart(field === 1 ? 'header' : 'data');
      if (field === 1) header = [from, r.pos];
      else data = [from, r.pos];
    } else {
      r.skip(key & 7, `field ${field}`);
    }
  }
  if (header === undefined) return r.fail('header', 'missing');
  const number = readNumber(r, header[0], header[1]);
  const envelopes: [number, number][] = [];
  if (data !== undefined) {
    r.reset(data[0], data[1], `${PATH}.block.data`);
    while (!r.done) {
      const key = r.key();
      if (key >>> 3 !== 1) {
        r.skip(key & 7, `field ${key >>> 3}`);
        continue;
      }
      r.expect(key, WIRE_LEN, 'data');
      const from = r.lenStart('data');
      envelopes.push([from, r.pos]);
    }
  }
  const txIds = new Array<string>(envelopes.length);
  for (let i = 0; i < envelopes.length; i++) txIds[i] = readTxIdAt(r, envelopes[i]![0], envelopes[i]![1]);
  return { type: 'block', number, txIds };
}

function readNumber(r: ProtoReader, start: number, end: number): number {
  let number = 0;
  r.reset(start, end, `${PATH}.block.header`);
  while (!r.done) {
    const key = r.key();
    if (key >>> 3 === 1) {
      r.expect(key, WIRE_VARINT, 'number');
      number = r.uint64('number');
    } else {
      r.skip(key & 7, `field ${key >>> 3}`);
    }
  }
  return number;
}
