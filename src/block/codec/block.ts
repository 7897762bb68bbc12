// Codec for the block-side messages: Block, BlockHeader, BlockData,
// BlockMetadata (common/common.proto), Metadata, MetadataSignature, LastConfig,
// OrdererBlockMetadata, and etcdraft BlockMetadata (orderer/etcdraft/metadata.proto).

import {
  EMPTY_BYTES,
  type Block,
  type BlockHeader,
  type EtcdraftBlockMetadata,
  type LastConfig,
  type Metadata,
  type MetadataSignature,
  type OrdererBlockMetadata,
} from '../model.js';
import { ProtoReader, WIRE_LEN, WIRE_VARINT } from '../wire/reader.js';
import { ProtoWriter, varintLength } from '../wire/writer.js';
import type { DecodeContext } from './common.js';
import { bytesField, decodeFields, messageField, repeatedMessageField, uint64Field, type Draft, type FieldTable } from './fields.js';

/**
 * Decodes a Block. Header is required (Fabric never writes a block without
 * one); missing data or metadata decode as empty lists.
 */
export function decodeBlock(bytes: Uint8Array, ctx: DecodeContext = { code: 'BAD_BLOCK', path: 'block' }): Block {
  const r = new ProtoReader(bytes, ctx.code, ctx.path);
  let header: BlockHeader | undefined;
  let data: Uint8Array[] = [];
  let metadata: Uint8Array[] = [];
  while (!r.done) {
    const key = r.key();
    switch (key >>> 3) {
      case 1:
        r.expect(key, WIRE_LEN, 'header');
        header = decodeBlockHeader(r.bytes('header'), { code: ctx.code, path: `${ctx.path}.header` });
        break;
      case 2:
        r.expect(key, WIRE_LEN, 'data');
        data = decodeRepeatedBytes(r.bytes('data'), { code: ctx.code, path: `${ctx.path}.data` }, 'data');
        break;
      case 3:
        r.expect(key, WIRE_LEN, 'metadata');
        metadata = decodeRepeatedBytes(r.bytes('metadata'), { code: ctx.code, path: `${ctx.path}.metadata` }, 'metadata');
        break;
      default:
        r.skip(key & 7, `field ${key >>> 3}`);
    }
  }
  if (header === undefined) return r.fail('header', 'missing');
  return { header, data, metadata };
}

/**
 * Length of the marshaled block's part before its metadata field: where the
 * fields up to the metadata are written in field order (as encodeBlock
 * writes them), two marshalings of the same header and data with other
 * metadata share exactly these bytes. The block's length if there is no
 * metadata field; 0 if a field follows the metadata (no such shared part).
 */
export function blockBytesBeforeMetadata(bytes: Uint8Array): number {
  const r = new ProtoReader(bytes, 'BAD_BLOCK', 'block');
  let metadataAt = bytes.length;
  while (!r.done) {
    const at = r.pos;
    const key = r.key();
    if (key >>> 3 === 3) {
      if (metadataAt !== bytes.length) return 0;
      metadataAt = at;
    } else if (metadataAt !== bytes.length) return 0;
    r.skip(key & 7, `field ${key >>> 3}`);
  }
  return metadataAt;
}

/**
 * The marshaled block's metadata field alone: for any header and data,
 * encodeBlock({ header, data, metadata }) is the bytes encodeBlock writes
 * before the metadata field followed by these bytes.
 */
export function encodeBlockMetadataField(metadata: readonly Uint8Array[]): Uint8Array {
  const w = new ProtoWriter();
  for (const entry of metadata) w.bytesAlways(1, entry);
  return new ProtoWriter().message(3, w).finish();
}

/**
 * The part of `bytes` (a marshaled block that decodes to `block`) before its
 * metadata field, as a view (no copy), when it is exactly what encodeBlock
 * writes there for `block`; undefined otherwise (a field after the metadata,
 * unknown fields, fields out of order, non-minimal lengths). Checked without
 * copying the data: the header field's bytes are compared, and the length
 * with encodeBlock's. A marshaling whose header field is canonical and whose
 * length equals the canonical length holds the data entries canonically too
 * (any other form of the same entries, in the order they decode in, is longer).
 */
export function canonicalBytesBeforeMetadata(bytes: Uint8Array, block: Block): Uint8Array | undefined {
  const length = blockBytesBeforeMetadata(bytes);
  if (length === 0) return undefined;
  const header = new ProtoWriter().message(1, writeBlockHeader(block.header)).finish();
  // The data field: its one-byte key (field 2, length-delimited), its length, its entries (each a one-byte key, its length, its bytes),
  // counted without writing them.
  let dataLength = 0;
  for (const entry of block.data) dataLength += 1 + varintLength(entry.length) + entry.length;
  const canonical = header.length + 1 + varintLength(dataLength) + dataLength;
  if (length !== canonical || header.length > length) return undefined;
  if (Buffer.compare(Buffer.from(header.buffer, header.byteOffset, header.length), Buffer.from(bytes.buffer, bytes.byteOffset, header.length)) !== 0) {
    return undefined;
  }
  return bytes.subarray(0, length);
}

/** Encodes a Block; envelopes are copied once, straight into the result. */
export function encodeBlock(block: Block): Uint8Array {
  return writeBlock(block).finish();
}

/** `prefix` ‖ the marshaled block, in one buffer (a Raft entry's tx ids ahead of its block: blockEntry.ts). */
export function encodeBlockWithPrefix(block: Block, prefix: Uint8Array): Uint8Array {
  return writeBlock(block).finish(prefix);
}

/**
 * A block without its data field, as Fabric's Deliver sends it for
 * SeekInfo.content_type HEADER_WITH_SIG (Block{Header, Metadata}, Data nil):
 * enough to check the hash chain and the orderer signatures.
 */
export function encodeBlockWithoutData(block: Block): Uint8Array {
  const metadata = new ProtoWriter();
  for (const entry of block.metadata) metadata.bytesAlways(1, entry);
  return new ProtoWriter().message(1, writeBlockHeader(block.header)).message(3, metadata).finish();
}

export function writeBlock(block: Block): ProtoWriter {
  const data = new ProtoWriter();
  for (const entry of block.data) data.bytesAlways(1, entry);
  const metadata = new ProtoWriter();
  for (const entry of block.metadata) metadata.bytesAlways(1, entry);
  return new ProtoWriter().message(1, writeBlockHeader(block.header)).message(2, data).message(3, metadata);
}

export function decodeBlockHeader(bytes: Uint8Array, ctx: DecodeContext = { code: 'BAD_BLOCK', path: 'block_header' }): BlockHeader {
  const r = new ProtoReader(bytes, ctx.code, ctx.path);
  let number = 0;
  let previousHash = EMPTY_BYTES;
  let dataHash = EMPTY_BYTES;
  while (!r.done) {
    const key = r.key();
    switch (key >>> 3) {
      case 1:
        r.expect(key, WIRE_VARINT, 'number');
        number = r.uint64('number');
        break;
      case 2:
        r.expect(key, WIRE_LEN, 'previous_hash');
        previousHash = r.bytes('previous_hash');
        break;
      case 3:
        r.expect(key, WIRE_LEN, 'data_hash');
        dataHash = r.bytes('data_hash');
        break;
      default:
        r.skip(key & 7, `field ${key >>> 3}`);
    }
  }
  return { number, previousHash, dataHash };
}

export function encodeBlockHeader(header: BlockHeader): Uint8Array {
  return writeBlockHeader(header).finish();
}

function writeBlockHeader(header: BlockHeader): ProtoWriter {
  return new ProtoWriter().uint64(1, header.number).bytes(2, header.previousHash).bytes(3, header.dataHash);
}

/** BlockData and BlockMetadata: one `repeated bytes` field numbered 1. */
function decodeRepeatedBytes(bytes: Uint8Array, ctx: DecodeContext, name: string): Uint8Array[] {
  const r = new ProtoReader(bytes, ctx.code, ctx.path);
  const out: Uint8Array[] = [];
  while (!r.done) {
    const key = r.key();
    if (key >>> 3 === 1) {
      r.expect(key, WIRE_LEN, `${name}[${out.length}]`);
      out.push(r.bytes(`${name}[${out.length}]`));
    } else {
      r.skip(key & 7, `field ${key >>> 3}`);
    }
  }
  return out;
}

// The metadata messages below are read once per block at most (signature
// checks, catch-up, verify-ledger), off the per-envelope path: field tables.

const METADATA_SIGNATURE_FIELDS: FieldTable<Draft<MetadataSignature>> = {
  1: bytesField('signature_header', 'signatureHeader'),
  2: bytesField('signature', 'signature'),
  3: bytesField('identifier_header', 'identifierHeader'),
};

const METADATA_FIELDS: FieldTable<Draft<Metadata>> = {
  1: bytesField('value', 'value'),
  2: repeatedMessageField('signatures', 'signatures', (bytes, ctx) =>
    decodeFields<Draft<MetadataSignature>>(bytes, ctx, METADATA_SIGNATURE_FIELDS, {
      signatureHeader: EMPTY_BYTES,
      signature: EMPTY_BYTES,
      identifierHeader: EMPTY_BYTES,
    }),
  ),
};

export function decodeMetadata(bytes: Uint8Array, ctx: DecodeContext = { code: 'BAD_METADATA', path: 'metadata' }): Metadata {
  return decodeFields<Draft<Metadata>>(bytes, ctx, METADATA_FIELDS, { value: EMPTY_BYTES, signatures: [] });
}

export function encodeMetadata(md: Metadata): Uint8Array {
  const w = new ProtoWriter().bytes(1, md.value);
  for (const sig of md.signatures) w.message(2, writeMetadataSignature(sig));
  return w.finish();
}

function writeMetadataSignature(sig: MetadataSignature): ProtoWriter {
  return new ProtoWriter().bytes(1, sig.signatureHeader).bytes(2, sig.signature).bytes(3, sig.identifierHeader);
}

const LAST_CONFIG_FIELDS: FieldTable<Draft<LastConfig>> = { 1: uint64Field('index', 'index') };

export function decodeLastConfig(bytes: Uint8Array, ctx: DecodeContext = { code: 'BAD_METADATA', path: 'last_config' }): LastConfig {
  return decodeFields<Draft<LastConfig>>(bytes, ctx, LAST_CONFIG_FIELDS, { index: 0 });
}

export function encodeLastConfig(lc: LastConfig): Uint8Array {
  return new ProtoWriter().uint64(1, lc.index).finish();
}

const ORDERER_BLOCK_METADATA_FIELDS: FieldTable<Draft<OrdererBlockMetadata>> = {
  1: messageField('last_config', 'lastConfig', decodeLastConfig),
  2: bytesField('consenter_metadata', 'consenterMetadata'),
};

export function decodeOrdererBlockMetadata(
  bytes: Uint8Array,
  ctx: DecodeContext = { code: 'BAD_METADATA', path: 'orderer_block_metadata' },
): OrdererBlockMetadata {
  return decodeFields<Draft<OrdererBlockMetadata>>(bytes, ctx, ORDERER_BLOCK_METADATA_FIELDS, { consenterMetadata: EMPTY_BYTES });
}

export function encodeOrdererBlockMetadata(obm: OrdererBlockMetadata): Uint8Array {
  const lastConfig = obm.lastConfig === undefined ? undefined : new ProtoWriter().uint64(1, obm.lastConfig.index);
  return new ProtoWriter().message(1, lastConfig).bytes(2, obm.consenterMetadata).finish();
}

const ETCDRAFT_BLOCK_METADATA_FIELDS: FieldTable<Draft<EtcdraftBlockMetadata>> = {
  1: (r, key, into) => {
    const ids = into.consenterIds as number[];
    // Go accepts both packed (canonical) and unpacked repeated scalars.
    if ((key & 7) === WIRE_LEN) {
      const inner = new ProtoReader(r.bytes('consenter_ids'), r.code, `${r.path}.consenter_ids`);
      while (!inner.done) ids.push(inner.uint64(`[${ids.length}]`));
    } else {
      r.expect(key, WIRE_VARINT, 'consenter_ids');
      ids.push(r.uint64('consenter_ids'));
    }
  },
  2: uint64Field('next_consenter_id', 'nextConsenterId'),
  3: uint64Field('raft_index', 'raftIndex'),
};

export function decodeEtcdraftBlockMetadata(
  bytes: Uint8Array,
  ctx: DecodeContext = { code: 'BAD_METADATA', path: 'etcdraft_block_metadata' },
): EtcdraftBlockMetadata {
  return decodeFields<Draft<EtcdraftBlockMetadata>>(bytes, ctx, ETCDRAFT_BLOCK_METADATA_FIELDS, { consenterIds: [], nextConsenterId: 0, raftIndex: 0 });
}

export function encodeEtcdraftBlockMetadata(md: EtcdraftBlockMetadata): Uint8Array {
  return new ProtoWriter().packedUint64(1, md.consenterIds).uint64(2, md.nextConsenterId).uint64(3, md.raftIndex).finish();
}
