// Block header hash and data hash exactly as Fabric computes them
// (protoutil.BlockHeaderBytes / BlockHeaderHash / ComputeBlockDataHash).
//
// The header hash is NOT a hash of the protobuf BlockHeader: it is the hash of
// the ASN.1 DER encoding of SEQUENCE { INTEGER number, OCTET STRING
// previous_hash, OCTET STRING data_hash }. Go marshals `number` as a *big.Int
// built from the uint64, so it is always non-negative: minimal big-endian
// bytes, a 0x00 prefix when the top bit is set (128 -> 02 02 00 80), and a
// single 0x00 byte for zero. SM3 channels swap the hasher, nothing else.

import assert from 'node:assert/strict';
import type { Hasher } from '../crypto/index.js';
import { concatBytes } from './bytes.js';
import type { BlockHeader } from './model.js';

const DER_INTEGER = 0x02;
const DER_OCTET_STRING = 0x04;
const DER_SEQUENCE = 0x30;

/** Above this many entries, concatenate before hashing instead of spreading arguments. */
const DIGEST_SPREAD_MAX_PARTS = 4096;

export type HeaderFields = Pick<BlockHeader, 'number' | 'previousHash' | 'dataHash'>;

/** The ASN.1 DER bytes Fabric hashes and signs for a block header (protoutil.BlockHeaderBytes). */
export function blockHeaderBytes(header: HeaderFields): Uint8Array {
  const number = derUnsignedInteger(header.number);
  const contentLength = derElementLength(number.length) + derElementLength(header.previousHash.length) + derElementLength(header.dataHash.length);
  const out = new Uint8Array(derElementLength(contentLength));
  let pos = writeDerPrefix(out, 0, DER_SEQUENCE, contentLength);
  pos = writeDerElement(out, pos, DER_INTEGER, number);
  pos = writeDerElement(out, pos, DER_OCTET_STRING, header.previousHash);
  pos = writeDerElement(out, pos, DER_OCTET_STRING, header.dataHash);
  assert.equal(pos, out.length);
  return out;
}

/** Fabric's block header hash: `hasher` over blockHeaderBytes. */
export function headerHash(hasher: Hasher, header: HeaderFields): Uint8Array {
  return hasher.digest(blockHeaderBytes(header));
}

/** Fabric's block data hash: `hasher` over the concatenated envelope bytes. */
export function dataHash(hasher: Hasher, data: readonly Uint8Array[]): Uint8Array {
  if (data.length <= DIGEST_SPREAD_MAX_PARTS) return hasher.digest(...data);
  return hasher.digest(concatBytes(data));
}

/** Content bytes of a DER INTEGER holding a non-negative safe integer. */
function derUnsignedInteger(value: number): Uint8Array {
  if (!(Number.isSafeInteger(value) && value >= 0)) assert.fail(`block number must be a safe non-negative integer, got ${value}`);
  if (value === 0) return Uint8Array.of(0);
  const bytes: number[] = [];
  while (value > 0) {
    bytes.unshift(value % 256);
    value = Math.floor(value / 256);
  }
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return Uint8Array.from(bytes);
}

/** Bytes of a whole DER element (tag + length + content) with `contentLength` content bytes. */
function derElementLength(contentLength: number): number {
  return 1 + derLengthLength(contentLength) + contentLength;
}

function derLengthLength(length: number): number {
  if (length < 0x80) return 1;
  let n = 1;
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) n++;
  return n;
}

function writeDerPrefix(out: Uint8Array, pos: number, tag: number, length: number): number {
  out[pos++] = tag;
  if (length < 0x80) {
    out[pos++] = length;
    return pos;
  }
  const lengthBytes = derLengthLength(length) - 1;
  out[pos++] = 0x80 | lengthBytes;
  for (let i = lengthBytes - 1; i >= 0; i--) out[pos++] = Math.floor(length / 256 ** i) % 256;
  return pos;
}

function writeDerElement(out: Uint8Array, pos: number, tag: number, content: Uint8Array): number {
  pos = writeDerPrefix(out, pos, tag, content.length);
  out.set(content, pos);
  return pos + content.length;
}
