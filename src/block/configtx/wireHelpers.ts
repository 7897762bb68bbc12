// Small shared pieces of the config value codecs: a uint32 read, a loop over
// a message's fields, and repeated fields. Keeps each value codec a table of
// cases instead of the same loop written out again.

import type { DecodeContext } from '../codec/common.js';
import { ProtoReader } from '../wire/reader.js';

const UINT32_MAX = 0xffff_ffff;

/** A uint32 field. Go would truncate a wider varint; a config holding one is refused instead. */
export function readUint32(r: ProtoReader, field: string): number {
  const value = r.uint64(field);
  if (value > UINT32_MAX) r.fail(field, `value ${value} exceeds 2^32 - 1`);
  return value;
}

/**
 * Calls `onField(fieldNumber, key)` for every field; the handler reads the
 * field and returns true, or returns false to have it skipped as unknown.
 */
export function readFields(bytes: Uint8Array, ctx: DecodeContext, onField: (r: ProtoReader, field: number, key: number) => boolean): void {
  const r = new ProtoReader(bytes, ctx.code, ctx.path);
  while (!r.done) {
    const key = r.key();
    if (!onField(r, key >>> 3, key)) r.skip(key & 7, `field ${key >>> 3}`);
  }
}

export function child(ctx: DecodeContext, field: string): DecodeContext {
  return { code: ctx.code, path: `${ctx.path}.${field}` };
}
