// Table-driven reading of a protobuf message, for the messages off the
// per-envelope hot path (the config tree, Deliver requests and responses,
// block metadata): a message is a table from field number to a FieldReader
// that checks the wire type and stores the value; `readFields` loops over the
// input's keys, skipping unknown fields as Go does. The per-envelope and
// per-block decoders (common.ts, decodeBlock / decodeBlockHeader) keep their
// hand-written switch: they are what `npm run bench:codec` measures.
//
// Values are views into the input (bytes are not copied), errors are
// MalformedMessageError naming the field path, as everywhere in ../codec.

import assert from 'node:assert/strict';
import { EMPTY_BYTES } from '../model.js';
import { ProtoReader, WIRE_LEN, WIRE_VARINT } from '../wire/reader.js';
import type { DecodeContext } from './common.js';

/** Reads one field of a message (its key already read) into `into`, the message being built. */
export type FieldReader<T> = (r: ProtoReader, key: number, into: T) => void;

/** A message's field readers by field number; a field without one is skipped (as Go skips unknown fields). */
export type FieldTable<T> = Readonly<Record<number, FieldReader<T>>>;

/** A message under construction: the decoded model without `readonly`. */
export type Draft<T> = { -readonly [K in keyof T]: T[K] };

/** The properties of T that can hold a V. */
type PropsHolding<T, V> = { [K in keyof T]-?: V extends T[K] ? K : never }[keyof T];
/** The element type of an array property. */
type ElementOf<A> = A extends readonly (infer E)[] ? E : never;
/** The value type of a Map property. */
type MapValueOf<M> = M extends ReadonlyMap<string, infer V> ? V : never;

/** Reads every field of the message `r` is on, with the reader of its number; returns `into`. */
export function readFields<T>(r: ProtoReader, table: FieldTable<T>, into: T): T {
  while (!r.done) {
    const key = r.key();
    const read = table[key >>> 3];
    if (read === undefined) r.skip(key & 7, `field ${key >>> 3}`);
    else read(r, key, into);
  }
  return into;
}

/** Decodes `bytes` as one message: `init` gives its defaults (proto3's zero values), then the fields present. */
export function decodeFields<T>(bytes: Uint8Array, ctx: DecodeContext, table: FieldTable<T>, init: T): T {
  return readFields(new ProtoReader(bytes, ctx.code, ctx.path), table, init);
}

/** The context of a sub-message `name` of the message `r` reads: its error code, the path extended. */
export function fieldContext(r: ProtoReader, name: string): DecodeContext {
  return { code: r.code, path: `${r.path}.${name}` };
}

function set<T>(into: T, prop: PropertyKey, value: unknown): void {
  (into as Record<PropertyKey, unknown>)[prop] = value;
}

/** A reader builder for one scalar kind: checks the wire type, reads with `read`, stores into `prop`. */
function scalarField<V>(wireType: number, read: (r: ProtoReader, name: string) => V) {
  return <T>(name: string, prop: PropsHolding<T, V>): FieldReader<T> =>
    (r, key, into) => {
      r.expect(key, wireType, name);
      set(into, prop, read(r, name));
    };
}

/** uint64 field (varint); above 2^53 - 1 is malformed (ProtoReader.uint64). */
export const uint64Field = scalarField(WIRE_VARINT, (r, name) => r.uint64(name));
/** int32 (or enum) field (varint). */
export const int32Field = scalarField(WIRE_VARINT, (r, name) => r.int32(name));
/** bytes field: a view into the input. */
export const bytesField = scalarField(WIRE_LEN, (r, name) => r.bytes(name));
/** string field (strict UTF-8). */
export const stringField = scalarField(WIRE_LEN, (r, name) => r.string(name));

/** Decodes a sub-message's bytes; `ctx` names the field's path. */
export type Decoder<V> = (bytes: Uint8Array, ctx: DecodeContext) => V;

/** Sub-message field `name` into `prop`, decoded by `decode` with the field's path. */
export function messageField<T, K extends keyof T>(name: string, prop: K, decode: Decoder<NonNullable<T[K]>>): FieldReader<T> {
  return (r, key, into) => {
    r.expect(key, WIRE_LEN, name);
    set(into, prop, decode(r.bytes(name), fieldContext(r, name)));
  };
}

/** Repeated sub-message field `name` appended to the array `prop`; each element's path is `name[i]`. */
export function repeatedMessageField<T, K extends keyof T>(name: string, prop: K, decode: Decoder<ElementOf<T[K]>>): FieldReader<T> {
  return (r, key, into) => {
    const list = into[prop] as ElementOf<T[K]>[] | undefined;
    assert.ok(Array.isArray(list), `the message's initial value must hold an array in ${String(prop)}`);
    const element = `${name}[${list.length}]`;
    r.expect(key, WIRE_LEN, element);
    list.push(decode(r.bytes(element), fieldContext(r, element)));
  };
}

/**
 * Map field `name` (repeated {key: string = 1, value = 2} entries) into the Map
 * `prop`, each value decoded by `decode` with the path `name.<key>`. A key
 * seen twice keeps the last value, and a missing key or value is empty, as Go's unmarshal does.
 */
export function mapField<T, K extends keyof T>(name: string, prop: K, decode: Decoder<MapValueOf<T[K]>>): FieldReader<T> {
  return (r, key, into) => {
    r.expect(key, WIRE_LEN, name);
    const entry = readMapEntry(r, name);
    const map = into[prop] as Map<string, MapValueOf<T[K]>> | undefined;
    assert.ok(map instanceof Map, `the message's initial value must hold a Map in ${String(prop)}`);
    map.set(entry.key, decode(entry.value, fieldContext(r, `${name}.${entry.key}`)));
  };
}

interface MapEntry {
  key: string;
  value: Uint8Array;
}

const MAP_ENTRY_FIELDS: FieldTable<MapEntry> = {
  1: stringField('key', 'key'),
  2: bytesField('value', 'value'),
};

function readMapEntry(r: ProtoReader, name: string): MapEntry {
  const start = r.lenStart(name);
  const entry = new ProtoReader(r.buf, r.code, `${r.path}.${name}`, start, r.pos);
  return readFields(entry, MAP_ENTRY_FIELDS, { key: '', value: EMPTY_BYTES });
}
