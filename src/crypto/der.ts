// A small strict DER reader and writer: enough ASN.1 for EC keys, ECDSA/SM2
// signatures and X.509 certificates. Strict means definite, minimal lengths
// only, so that one value has one encoding (Fabric's Go asn1 is strict too).

import { CryptoEncodingError } from './errors.js';

export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Tag of an explicit context-specific constructed field [n]. */
export const contextTag = (n: number): number => 0xa0 | n;

/** Lengths over 4 octets (>= 4 GiB) cannot be real in our inputs; refuse them. */
const MAX_LENGTH_OCTETS = 4;

export interface DerElement {
  readonly tag: number;
  /** The value octets (a view into the input, not a copy). */
  readonly value: Uint8Array;
  /** The whole TLV, header included (a view; e.g. the signed TBSCertificate bytes). */
  readonly raw: Uint8Array;
}

/** Reads consecutive TLVs from `bytes`. Views returned share the input buffer. */
export class DerReader {
  #offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.#offset >= this.bytes.length;
  }

  peekTag(): number | undefined {
    return this.done ? undefined : this.bytes[this.#offset];
  }

  /** Next element; `expectedTag` (if given) must match, `what` names it in errors. */
  read(expectedTag?: number, what = 'element'): DerElement {
    const bytes = this.bytes;
    const start = this.#offset;
    if (start + 2 > bytes.length) throw new CryptoEncodingError(`DER: truncated ${what}`);
    const tag = bytes[start]!;
    if ((tag & 0x1f) === 0x1f) throw new CryptoEncodingError(`DER: multi-byte tags unsupported in ${what}`);
    if (expectedTag !== undefined && tag !== expectedTag) {
      throw new CryptoEncodingError(`DER: ${what} has tag 0x${tag.toString(16)}, expected 0x${expectedTag.toString(16)}`);
    }
    let length = bytes[start + 1]!;
    let headerBytes = 2;
    if (length & 0x80) {
      const octets = length & 0x7f;
      if (octets === 0) throw new CryptoEncodingError(`DER: indefinite length in ${what}`);
      if (octets > MAX_LENGTH_OCTETS) throw new CryptoEncodingError(`DER: length of ${what} too large`);
      if (start + 2 + octets > bytes.length) throw new CryptoEncodingError(`DER: truncated length of ${what}`);
      length = 0;
      for (let i = 0; i < octets; i++) length = length * 256 + bytes[start + 2 + i]!;
      // Minimal encoding: long form only for >= 128, and no leading zero octet.
      if (length < 0x80 || bytes[start + 2] === 0) {
        throw new CryptoEncodingError(`DER: non-minimal length in ${what}`);
      }
      headerBytes += octets;
    }
    const valueStart = start + headerBytes;
    const end = valueStart + length;
    if (end > bytes.length) throw new CryptoEncodingError(`DER: ${what} runs past the end of its container`);
    this.#offset = end;
    return { tag, value: bytes.subarray(valueStart, end), raw: bytes.subarray(start, end) };
  }

  /** Reads the next element if it has `tag`, else returns undefined (OPTIONAL fields). */
  readOptional(tag: number, what = 'element'): DerElement | undefined {
    return this.peekTag() === tag ? this.read(tag, what) : undefined;
  }

  /** Asserts the container held nothing after the fields we read. */
  end(what = 'container'): void {
    if (!this.done) throw new CryptoEncodingError(`DER: trailing bytes after ${what}`);
  }
}

/** Reader over the children of a constructed element (SEQUENCE, SET, [n]). */
export const children = (element: DerElement): DerReader => new DerReader(element.value);

/** Reads exactly one element spanning all of `bytes`. */
export function readSingle(bytes: Uint8Array, expectedTag: number, what: string): DerElement {
  const reader = new DerReader(bytes);
  const element = reader.read(expectedTag, what);
  reader.end(what);
  return element;
}

/** Non-negative INTEGER value (strict: minimal, not negative). */
export function decodeUnsignedInteger(value: Uint8Array, what = 'INTEGER'): bigint {
  if (value.length === 0) throw new CryptoEncodingError(`DER: empty ${what}`);
  if (value[0]! & 0x80) throw new CryptoEncodingError(`DER: negative ${what}`);
  if (value.length > 1 && value[0] === 0 && !(value[1]! & 0x80)) {
    throw new CryptoEncodingError(`DER: non-minimal ${what}`);
  }
  return bytesToBigInt(value);
}

/** BOOLEAN contents, DER: one octet, 0x00 or 0xFF (BER's other non-zero values are refused, as Go and OpenSSL do). */
export function decodeBoolean(value: Uint8Array, what = 'BOOLEAN'): boolean {
  if (value.length !== 1 || (value[0] !== 0x00 && value[0] !== 0xff)) throw new CryptoEncodingError(`DER: ${what} is not 0x00 or 0xFF`);
  return value[0] === 0xff;
}

export function decodeOid(value: Uint8Array): string {
  if (value.length === 0) throw new CryptoEncodingError('DER: empty OID');
  const arcs: number[] = [];
  let arc = 0;
  for (let i = 0; i < value.length; i++) {
    const byte = value[i]!;
    if (arc === 0 && byte === 0x80) throw new CryptoEncodingError('DER: non-minimal OID arc');
    arc = arc * 128 + (byte & 0x7f);
    if (arc > Number.MAX_SAFE_INTEGER / 128) throw new CryptoEncodingError('DER: OID arc too large');
    if (!(byte & 0x80)) {
      arcs.push(arc);
      arc = 0;
    } else if (i === value.length - 1) {
      throw new CryptoEncodingError('DER: truncated OID');
    }
  }
  const first = arcs[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

/** BIT STRING contents with zero unused bits (keys, signatures). */
export function decodeBitStringBytes(value: Uint8Array, what = 'BIT STRING'): Uint8Array {
  if (value.length === 0 || value[0] !== 0) throw new CryptoEncodingError(`DER: ${what} must have 0 unused bits`);
  return value.subarray(1);
}

/** UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ), as X.509 requires. */
export function decodeTime(element: DerElement): Date {
  const text = new TextDecoder().decode(element.value);
  let match: RegExpExecArray | null;
  let year: number;
  if (element.tag === Tag.UTC_TIME) {
    match = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (!match) throw new CryptoEncodingError(`DER: bad UTCTime "${text}"`);
    const yy = Number(match[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy; // RFC 5280 4.1.2.5.1
  } else if (element.tag === Tag.GENERALIZED_TIME) {
    match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (!match) throw new CryptoEncodingError(`DER: bad GeneralizedTime "${text}"`);
    year = Number(match[1]);
  } else {
    throw new CryptoEncodingError(`DER: tag 0x${element.tag.toString(16)} is not a time`);
  }
  const [mo, d, h, mi, s] = match.slice(2).map(Number) as [number, number, number, number, number];
  return new Date(Date.UTC(year, mo - 1, d, h, mi, s));
}

/** Big-endian unsigned. On every signature check: hex via Buffer (native), not a string built per byte. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  return BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`);
}

/** Big-endian, left-padded to `length` bytes. Asserts the value fits. */
export function bigIntToBytes(value: bigint, length: number): Uint8Array {
  if (value < 0n) throw new RangeError('bigIntToBytes: negative value');
  const hex = value.toString(16).padStart(length * 2, '0');
  if (hex.length > length * 2) throw new RangeError(`bigIntToBytes: value does not fit in ${length} bytes`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

// ---- writer ----------------------------------------------------------------

function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const octets: number[] = [];
  for (let l = length; l > 0; l = Math.floor(l / 256)) octets.unshift(l & 0xff);
  return Uint8Array.of(0x80 | octets.length, ...octets);
}

export function tlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const valueLength = contents.reduce((sum, c) => sum + c.length, 0);
  const header = encodeLength(valueLength);
  const out = new Uint8Array(1 + header.length + valueLength);
  out[0] = tag;
  out.set(header, 1);
  let offset = 1 + header.length;
  for (const c of contents) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

export const sequence = (...contents: Uint8Array[]): Uint8Array => tlv(Tag.SEQUENCE, ...contents);
export const set = (...contents: Uint8Array[]): Uint8Array => tlv(Tag.SET, ...contents);
export const explicit = (n: number, ...contents: Uint8Array[]): Uint8Array => tlv(contextTag(n), ...contents);
export const octetString = (bytes: Uint8Array): Uint8Array => tlv(Tag.OCTET_STRING, bytes);
export const bitString = (bytes: Uint8Array): Uint8Array => tlv(Tag.BIT_STRING, Uint8Array.of(0), bytes);
export const derNull = (): Uint8Array => Uint8Array.of(Tag.NULL, 0);
export const boolean = (value: boolean): Uint8Array => Uint8Array.of(Tag.BOOLEAN, 1, value ? 0xff : 0);
export const utf8String = (text: string): Uint8Array => tlv(Tag.UTF8_STRING, new TextEncoder().encode(text));

/** Non-negative INTEGER, minimal encoding. */
export function unsignedInteger(value: bigint): Uint8Array {
  if (value < 0n) throw new RangeError('unsignedInteger: negative value');
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  // A leading 1 bit would read as negative: prefix a zero octet.
  if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = `00${hex}`;
  return tlv(Tag.INTEGER, Uint8Array.from(Buffer.from(hex, 'hex')));
}

export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) {
    throw new RangeError(`oid: bad OID "${dotted}"`);
  }
  const body: number[] = [];
  const encodeArc = (arc: number): void => {
    const bytes = [arc & 0x7f];
    for (let a = Math.floor(arc / 128); a > 0; a = Math.floor(a / 128)) bytes.unshift(0x80 | (a & 0x7f));
    body.push(...bytes);
  };
  encodeArc(arcs[0]! * 40 + arcs[1]!);
  for (const arc of arcs.slice(2)) encodeArc(arc);
  return tlv(Tag.OID, Uint8Array.from(body));
}

/** X.509 time: UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5). */
export function time(date: Date): Uint8Array {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = `${iso.slice(0, 19).replace(/[-T:]/g, '')}Z`;
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return tlv(Tag.UTC_TIME, new TextEncoder().encode(digits.slice(2)));
  return tlv(Tag.GENERALIZED_TIME, new TextEncoder().encode(digits));
}
