// Mutations of valid inputs for fuzzing decoders: bit flips, byte changes,
// truncation, insertion, deletion, duplication, and corruption of the length
// fields the input's own format declares (protobuf length prefixes, DER
// lengths), found by walking the input. Mutations are plain data, so
// fast-check can generate and shrink them and scripts/fuzz.ts can draw them
// from a seeded generator: the same list applied to the same seed gives the
// same bytes.

/** Where a length is written: bytes [offset, offset + size) of the input. */
export interface LengthField {
  readonly offset: number;
  readonly size: number;
  readonly format: 'protobuf' | 'der';
}

export type Mutation =
  | { readonly op: 'flip'; readonly at: number; readonly bit: number }
  | { readonly op: 'set'; readonly at: number; readonly value: number }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly op: 'delete'; readonly at: number; readonly length: number }
  | { readonly op: 'duplicate'; readonly at: number; readonly length: number }
  /** Rewrites length field number `field` (modulo their count) as `value`. */
  | { readonly op: 'length'; readonly field: number; readonly value: number };

/** Values a corrupted length takes: off by one, zero, the sign bit, past any buffer. */
export const LENGTH_VALUES: readonly number[] = [0, 1, 2, 127, 128, 255, 256, 0x3fff, 0x4000, 0xffff, 0x7fff_ffff, 0xffff_ffff, 2 ** 53 - 1];

/** How an input declares lengths: protobuf, DER, or not at all (text). */
export type InputFormat = LengthField['format'] | 'text';

/** `bytes` with `mutations` applied in order; positions wrap around the current length. Never modifies `bytes`. */
export function mutate(bytes: Uint8Array, mutations: readonly Mutation[], format: InputFormat): Uint8Array {
  let out: Uint8Array = Uint8Array.from(bytes);
  for (const m of mutations) out = applyOne(out, m, format);
  return out;
}

function applyOne(b: Uint8Array, m: Mutation, format: InputFormat): Uint8Array {
  const n = b.length;
  const at = (x: number): number => (n === 0 ? 0 : x % n);
  switch (m.op) {
    case 'flip':
      if (n > 0) b[at(m.at)]! ^= 1 << (m.bit & 7);
      return b;
    case 'set':
      if (n > 0) b[at(m.at)] = m.value & 0xff;
      return b;
    case 'truncate':
      return b.subarray(0, m.at % (n + 1));
    case 'insert': {
      const i = m.at % (n + 1);
      return concat(b.subarray(0, i), m.bytes, b.subarray(i));
    }
    case 'delete': {
      const i = at(m.at);
      return concat(b.subarray(0, i), b.subarray(Math.min(n, i + m.length)));
    }
    case 'duplicate': {
      const i = at(m.at);
      const piece = b.subarray(i, Math.min(n, i + m.length));
      return concat(b.subarray(0, i + piece.length), piece, b.subarray(i + piece.length));
    }
    case 'length': {
      if (format === 'text') return b;
      const fields = lengthFields(b, format);
      if (fields.length === 0) return b;
      const f = fields[m.field % fields.length]!;
      const encoded = f.format === 'protobuf' ? varint(m.value) : derLength(m.value);
      return concat(b.subarray(0, f.offset), encoded, b.subarray(f.offset + f.size));
    }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

function varint(value: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

function derLength(value: number): Uint8Array {
  if (value < 0x80) return Uint8Array.of(value);
  const octets: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) octets.unshift(v % 256);
  return Uint8Array.from([0x80 | octets.length, ...octets]);
}

/** The length fields of `bytes` in `format`, nested messages included (as far as the bytes parse). */
export function lengthFields(bytes: Uint8Array, format: LengthField['format']): LengthField[] {
  const found: LengthField[] = [];
  if (format === 'protobuf') walkProtobuf(bytes, 0, bytes.length, 0, found);
  else walkDer(bytes, 0, bytes.length, 0, found);
  return found;
}

const DEPTH_MAX = 24;

function readVarint(b: Uint8Array, pos: number, end: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = pos; i < end && i < pos + 10; i++) {
    value += (b[i]! & 0x7f) * scale;
    scale *= 0x80;
    if ((b[i]! & 0x80) === 0) return { value, next: i + 1 };
  }
  return undefined;
}

/** True when [start, end) parses as protobuf fields; records length prefixes, recursing into those that parse. */
function walkProtobuf(b: Uint8Array, start: number, end: number, depth: number, found: LengthField[]): boolean {
  if (start === end || depth > DEPTH_MAX) return start === end;
  const mark = found.length;
  let pos = start;
  while (pos < end) {
    const key = readVarint(b, pos, end);
    if (key === undefined || key.value >>> 3 === 0) return rollback(found, mark);
    pos = key.next;
    switch (key.value & 7) {
      case 0: {
        const v = readVarint(b, pos, end);
        if (v === undefined) return rollback(found, mark);
        pos = v.next;
        break;
      }
      case 1:
        pos += 8;
        break;
      case 5:
        pos += 4;
        break;
      case 2: {
        const length = readVarint(b, pos, end);
        if (length === undefined || length.next + length.value > end) return rollback(found, mark);
        found.push({ offset: pos, size: length.next - pos, format: 'protobuf' });
        pos = length.next;
        walkProtobuf(b, pos, pos + length.value, depth + 1, found);
        pos += length.value;
        break;
      }
      default:
        return rollback(found, mark);
    }
    if (pos > end) return rollback(found, mark);
  }
  return true;
}

function rollback(found: LengthField[], mark: number): false {
  found.length = mark;
  return false;
}

/** Records DER lengths of [start, end), recursing into constructed values and into OCTET/BIT STRINGs that hold DER. */
function walkDer(b: Uint8Array, start: number, end: number, depth: number, found: LengthField[]): void {
  let pos = start;
  while (pos + 2 <= end && depth <= DEPTH_MAX) {
    const tag = b[pos]!;
    const first = b[pos + 1]!;
    let length = first;
    let size = 1;
    if (first & 0x80) {
      size = 1 + (first & 0x7f);
      if (size > 5 || pos + 1 + size > end) return;
      length = 0;
      for (let i = 2; i <= size; i++) length = length * 256 + b[pos + i]!;
    }
    const valueStart = pos + 1 + size;
    if (valueStart + length > end) return;
    found.push({ offset: pos + 1, size, format: 'der' });
    if (tag & 0x20) walkDer(b, valueStart, valueStart + length, depth + 1, found);
    else if (tag === 0x04) walkDer(b, valueStart, valueStart + length, depth + 1, found);
    else if (tag === 0x03 && length > 1) walkDer(b, valueStart + 1, valueStart + length, depth + 1, found);
    pos = valueStart + length;
  }
}

/** A source of randomness for drawing mutations (the fuzz script's seeded generator). */
export interface Random {
  /** Integer in [0, n). */
  int(n: number): number;
}

/** Draws 1..`countMax` mutations, weighted towards small local changes. */
export function randomMutations(random: Random, countMax = 4): Mutation[] {
  const count = 1 + random.int(countMax);
  return Array.from({ length: count }, () => randomMutation(random));
}

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x12, 0x30, 0x0c];

function randomMutation(random: Random): Mutation {
  const at = random.int(1 << 20);
  switch (random.int(8)) {
    case 0:
    case 1:
      return { op: 'flip', at, bit: random.int(8) };
    case 2:
      return { op: 'set', at, value: random.int(2) === 0 ? INTERESTING_BYTES[random.int(INTERESTING_BYTES.length)]! : random.int(256) };
    case 3:
      return { op: 'truncate', at };
    case 4:
      return { op: 'insert', at, bytes: Uint8Array.from({ length: 1 + random.int(8) }, () => random.int(256)) };
    case 5:
      return { op: 'delete', at, length: 1 + random.int(16) };
    case 6:
      return { op: 'duplicate', at, length: 1 + random.int(64) };
    default:
      return { op: 'length', field: random.int(1 << 16), value: random.int(2) === 0 ? LENGTH_VALUES[random.int(LENGTH_VALUES.length)]! : random.int(4096) };
  }
}

/** A small fast deterministic generator (mulberry32) for the fuzz script. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return {
    int(n: number): number {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
    },
  };
}
