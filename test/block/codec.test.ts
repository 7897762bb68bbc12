// The codec against @hyperledger/fabric-protos (Fabric's own JS bindings, on
// google-protobuf) as the oracle: same bytes both ways, on the real Fabric
// ledger and on random messages.

import { common, msp, orderer } from '@hyperledger/fabric-protos';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeBlock,
  decodeEtcdraftBlockMetadata,
  decodeLastConfig,
  decodeMetadata,
  decodeOrdererBlockMetadata,
  encodeBlock,
  encodeBlockWithoutData,
  encodeEtcdraftBlockMetadata,
  encodeLastConfig,
  encodeMetadata,
  encodeOrdererBlockMetadata,
} from '../../src/block/codec/block.js';
import {
  decodeChannelHeader,
  decodeEnvelope,
  decodeHeader,
  decodePayload,
  decodeSerializedIdentity,
  decodeSignatureHeader,
  encodeChannelHeader,
  encodeEnvelope,
  encodeHeader,
  encodePayload,
  encodeSerializedIdentity,
  encodeSignatureHeader,
} from '../../src/block/codec/common.js';
import {
  decodeBroadcastResponse,
  decodeDeliverResponse,
  decodeSeekInfo,
  encodeBroadcastResponse,
  encodeDeliverResponse,
  deliverResponseBlockHeader,
  encodeDeliverResponseBlockBytes,
  encodeSeekInfo,
} from '../../src/block/codec/orderer.js';
import { MalformedMessageError } from '../../src/block/errors.js';
import { Status, type SeekInfo, type SeekPosition } from '../../src/block/model.js';
import { hex, ledgerBadDir, ledgerSampleDir, readLedgerBlocks } from './fixtures.js';

const allBlocks = [...readLedgerBlocks(ledgerSampleDir), ...readLedgerBlocks(ledgerBadDir)];
const bytesArb = fc.uint8Array({ maxLength: 40 });
const u53 = fc.nat({ max: Number.MAX_SAFE_INTEGER });

describe('Block codec on the real Fabric ledgers', () => {
  it('every block decodes and re-encodes to identical bytes', () => {
    expect(allBlocks.length).toBe(18);
    for (const bytes of allBlocks) expect(hex(encodeBlock(decodeBlock(bytes)))).toBe(hex(bytes));
  });

  it('a block without data (Deliver HEADER_WITH_SIG) encodes as fabric-protos does with data unset', () => {
    for (const bytes of allBlocks) {
      const lib = common.Block.deserializeBinary(bytes);
      lib.clearData();
      expect(hex(encodeBlockWithoutData(decodeBlock(bytes)))).toBe(hex(lib.serializeBinary()));
    }
  });

  it('every block decodes to what fabric-protos decodes', () => {
    for (const bytes of allBlocks) {
      const ours = decodeBlock(bytes);
      const lib = common.Block.deserializeBinary(bytes);
      expect(ours.header.number).toBe(lib.getHeader()!.getNumber());
      expect(hex(ours.header.previousHash)).toBe(hex(lib.getHeader()!.getPreviousHash_asU8()));
      expect(hex(ours.header.dataHash)).toBe(hex(lib.getHeader()!.getDataHash_asU8()));
      expect(ours.data.map(hex)).toEqual(lib.getData()!.getDataList_asU8().map(hex));
      expect(ours.metadata.map(hex)).toEqual(lib.getMetadata()!.getMetadataList_asU8().map(hex));
    }
  });

  it('every envelope, payload, header, channel header, signature header and creator round-trips and matches fabric-protos', () => {
    let envelopes = 0;
    for (const blockBytes of allBlocks) {
      for (const envBytes of decodeBlock(blockBytes).data) {
        envelopes++;
        const env = decodeEnvelope(envBytes);
        expect(hex(encodeEnvelope(env))).toBe(hex(envBytes));
        const payload = decodePayload(env.payload);
        expect(hex(encodePayload(payload))).toBe(hex(env.payload));
        const header = payload.header!;
        const headerBytes = common.Payload.deserializeBinary(env.payload).getHeader()!.serializeBinary();
        expect(hex(encodeHeader(decodeHeader(headerBytes)))).toBe(hex(headerBytes));
        expect(hex(encodeHeader(header))).toBe(hex(headerBytes));
        const ch = decodeChannelHeader(header.channelHeader);
        expect(hex(encodeChannelHeader(ch))).toBe(hex(header.channelHeader));
        const libCh = common.ChannelHeader.deserializeBinary(header.channelHeader);
        expect([ch.type, ch.version, ch.channelId, ch.txId, ch.epoch]).toEqual([
          libCh.getType(),
          libCh.getVersion(),
          libCh.getChannelId(),
          libCh.getTxId(),
          libCh.getEpoch(),
        ]);
        expect(ch.timestamp?.seconds).toBe(libCh.getTimestamp()?.getSeconds());
        expect(ch.timestamp?.nanos).toBe(libCh.getTimestamp()?.getNanos());
        const sh = decodeSignatureHeader(header.signatureHeader);
        expect(hex(encodeSignatureHeader(sh))).toBe(hex(header.signatureHeader));
        if (sh.creator.length > 0) {
          const id = decodeSerializedIdentity(sh.creator);
          expect(hex(encodeSerializedIdentity(id))).toBe(hex(sh.creator));
          expect(id.mspid).toBe(msp.SerializedIdentity.deserializeBinary(sh.creator).getMspid());
        }
      }
    }
    expect(envelopes).toBe(18);
  });

  it('block signature metadata (OrdererBlockMetadata, etcdraft metadata) round-trips', () => {
    let decoded = 0;
    for (const blockBytes of allBlocks) {
      const block = decodeBlock(blockBytes);
      const sigs = block.metadata[0]!;
      expect(hex(encodeMetadata(decodeMetadata(sigs)))).toBe(hex(sigs));
      const md = decodeMetadata(sigs);
      if (md.value.length === 0) continue;
      const obm = decodeOrdererBlockMetadata(md.value);
      expect(hex(encodeOrdererBlockMetadata(obm))).toBe(hex(md.value));
      const libObm = common.OrdererBlockMetadata.deserializeBinary(md.value);
      expect(obm.lastConfig?.index).toBe(libObm.getLastConfig()?.getIndex());
      decoded++;
    }
    expect(decoded).toBeGreaterThan(0);
  });
});

describe('codec against fabric-protos on random messages', () => {
  it('ChannelHeader: same bytes both ways, negative int32 included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
        fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
        fc.string(),
        fc.string(),
        u53,
        bytesArb,
        bytesArb,
        (type, version, channelId, txId, epoch, extension, tlsCertHash) => {
          const lib = new common.ChannelHeader();
          lib.setType(type);
          lib.setVersion(version);
          lib.setChannelId(channelId);
          lib.setTxId(txId);
          lib.setEpoch(epoch);
          lib.setExtension$(extension);
          lib.setTlsCertHash(tlsCertHash);
          const libBytes = lib.serializeBinary();
          const ours = encodeChannelHeader({ type, version, channelId, txId, epoch, extension, tlsCertHash });
          expect(hex(ours)).toBe(hex(libBytes));
          const back = decodeChannelHeader(libBytes);
          expect([back.type, back.version, back.channelId, back.txId, back.epoch]).toEqual([type, version, channelId, txId, epoch]);
        },
      ),
    );
  });

  it('ChannelHeader timestamps over the whole safe int64 range (negative included) decode in fabric-protos as written', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.integer({ min: 0, max: 999_999_999 }), (seconds, nanos) => {
        const empty = new Uint8Array(0);
        const bytes = encodeChannelHeader({
          type: 3,
          version: 0,
          timestamp: { seconds, nanos },
          channelId: 'c',
          txId: '',
          epoch: 0,
          extension: empty,
          tlsCertHash: empty,
        });
        const lib = common.ChannelHeader.deserializeBinary(bytes);
        expect(lib.getTimestamp()!.getSeconds()).toBe(seconds);
        expect(lib.getTimestamp()!.getNanos()).toBe(nanos);
        expect(hex(lib.serializeBinary())).toBe(hex(bytes));
        expect(decodeChannelHeader(bytes).timestamp).toEqual({ seconds, nanos });
      }),
    );
  });

  it('Envelope, Header, Payload, SignatureHeader, SerializedIdentity', () => {
    fc.assert(
      fc.property(bytesArb, bytesArb, bytesArb, fc.string(), fc.boolean(), (a, b, c, mspid, withHeader) => {
        const env = new common.Envelope();
        env.setPayload(a);
        env.setSignature(b);
        expect(hex(encodeEnvelope({ payload: a, signature: b }))).toBe(hex(env.serializeBinary()));
        const header = new common.Header();
        header.setChannelHeader(a);
        header.setSignatureHeader(c);
        expect(hex(encodeHeader({ channelHeader: a, signatureHeader: c }))).toBe(hex(header.serializeBinary()));
        const payload = new common.Payload();
        if (withHeader) payload.setHeader(header);
        payload.setData(b);
        const ours = encodePayload(withHeader ? { header: { channelHeader: a, signatureHeader: c }, data: b } : { data: b });
        expect(hex(ours)).toBe(hex(payload.serializeBinary()));
        expect(decodePayload(ours).header === undefined).toBe(!withHeader);
        const sh = new common.SignatureHeader();
        sh.setCreator(c);
        sh.setNonce(a);
        expect(hex(encodeSignatureHeader({ creator: c, nonce: a }))).toBe(hex(sh.serializeBinary()));
        const id = new msp.SerializedIdentity();
        id.setMspid(mspid);
        id.setIdBytes(b);
        expect(hex(encodeSerializedIdentity({ mspid, idBytes: b }))).toBe(hex(id.serializeBinary()));
        expect(decodeSerializedIdentity(id.serializeBinary()).mspid).toBe(mspid);
      }),
    );
  });

  it('Block with empty entries and number 0 (Go writes empty repeated entries and empty sub-messages)', () => {
    fc.assert(
      fc.property(u53, bytesArb, bytesArb, fc.array(bytesArb, { maxLength: 6 }), fc.array(bytesArb, { maxLength: 6 }), (number, prev, dh, data, metadata) => {
        const header = new common.BlockHeader();
        header.setNumber(number);
        header.setPreviousHash(prev);
        header.setDataHash(dh);
        const bd = new common.BlockData();
        bd.setDataList(data);
        const bm = new common.BlockMetadata();
        bm.setMetadataList(metadata);
        const lib = new common.Block();
        lib.setHeader(header);
        lib.setData(bd);
        lib.setMetadata(bm);
        const libBytes = lib.serializeBinary();
        const ours = encodeBlock({ header: { number, previousHash: prev, dataHash: dh }, data, metadata });
        expect(hex(ours)).toBe(hex(libBytes));
        const back = decodeBlock(libBytes);
        expect(back.data.map(hex)).toEqual(data.map(hex));
        expect(back.metadata.map(hex)).toEqual(metadata.map(hex));
      }),
    );
  });

  it('Metadata, LastConfig, OrdererBlockMetadata (present-but-empty last_config), etcdraft BlockMetadata', () => {
    fc.assert(
      fc.property(
        bytesArb,
        fc.array(fc.tuple(bytesArb, bytesArb, bytesArb), { maxLength: 3 }),
        u53,
        fc.array(u53, { maxLength: 5 }),
        u53,
        u53,
        fc.boolean(),
        (value, sigs, index, ids, next, raftIndex, withLastConfig) => {
          const md = new common.Metadata();
          md.setValue(value);
          md.setSignaturesList(
            sigs.map(([sh, s, ih]) => {
              const ms = new common.MetadataSignature();
              ms.setSignatureHeader(sh);
              ms.setSignature(s);
              ms.setIdentifierHeader(ih);
              return ms;
            }),
          );
          const oursMd = encodeMetadata({
            value,
            signatures: sigs.map(([signatureHeader, signature, identifierHeader]) => ({ signatureHeader, signature, identifierHeader })),
          });
          expect(hex(oursMd)).toBe(hex(md.serializeBinary()));
          expect(decodeMetadata(oursMd).signatures.length).toBe(sigs.length);

          const lc = new common.LastConfig();
          lc.setIndex(index);
          expect(hex(encodeLastConfig({ index }))).toBe(hex(lc.serializeBinary()));
          expect(decodeLastConfig(lc.serializeBinary()).index).toBe(index);

          const obm = new common.OrdererBlockMetadata();
          if (withLastConfig) obm.setLastConfig(lc);
          obm.setConsenterMetadata(value);
          const oursObm = encodeOrdererBlockMetadata(withLastConfig ? { lastConfig: { index }, consenterMetadata: value } : { consenterMetadata: value });
          expect(hex(oursObm)).toBe(hex(obm.serializeBinary()));
          expect(decodeOrdererBlockMetadata(oursObm).lastConfig?.index).toBe(withLastConfig ? index : undefined);

          const raft = new orderer.etcdraft.BlockMetadata();
          raft.setConsenterIdsList(ids);
          raft.setNextConsenterId(next);
          raft.setRaftIndex(raftIndex);
          const oursRaft = encodeEtcdraftBlockMetadata({ consenterIds: ids, nextConsenterId: next, raftIndex });
          expect(hex(oursRaft)).toBe(hex(raft.serializeBinary()));
          expect(decodeEtcdraftBlockMetadata(oursRaft)).toEqual({ consenterIds: ids, nextConsenterId: next, raftIndex });
        },
      ),
    );
  });

  it('etcdraft BlockMetadata accepts unpacked consenter_ids, as Go does', () => {
    // field 1 varint 1, field 1 varint 2, field 3 varint 7
    const unpacked = Uint8Array.of(0x08, 0x01, 0x08, 0x02, 0x18, 0x07);
    expect(decodeEtcdraftBlockMetadata(unpacked)).toEqual({ consenterIds: [1, 2], nextConsenterId: 0, raftIndex: 7 });
  });

  const positionArb: fc.Arbitrary<SeekPosition> = fc.oneof(
    fc.constant({ type: 'newest' as const }),
    fc.constant({ type: 'oldest' as const }),
    fc.constant({ type: 'nextCommit' as const }),
    u53.map((number) => ({ type: 'specified' as const, number })),
  );

  function libPosition(p: SeekPosition): orderer.SeekPosition {
    const lib = new orderer.SeekPosition();
    if (p.type === 'newest') lib.setNewest(new orderer.SeekNewest());
    else if (p.type === 'oldest') lib.setOldest(new orderer.SeekOldest());
    else if (p.type === 'nextCommit') lib.setNextCommit(new orderer.SeekNextCommit());
    else {
      const s = new orderer.SeekSpecified();
      s.setNumber(p.number);
      lib.setSpecified(s);
    }
    return lib;
  }

  it('SeekInfo with every kind of position and enum', () => {
    fc.assert(
      fc.property(
        fc.option(positionArb, { nil: undefined }),
        fc.option(positionArb, { nil: undefined }),
        fc.nat(1),
        fc.nat(1),
        fc.nat(1),
        (start, stop, behavior, errorResponse, contentType) => {
          const lib = new orderer.SeekInfo();
          if (start) lib.setStart(libPosition(start));
          if (stop) lib.setStop(libPosition(stop));
          lib.setBehavior(behavior as 0 | 1);
          lib.setErrorResponse(errorResponse as 0 | 1);
          lib.setContentType(contentType as 0 | 1);
          const info: SeekInfo = { ...(start && { start }), ...(stop && { stop }), behavior, errorResponse, contentType };
          const ours = encodeSeekInfo(info);
          expect(hex(ours)).toBe(hex(lib.serializeBinary()));
          expect(decodeSeekInfo(lib.serializeBinary())).toEqual(info);
        },
      ),
    );
  });

  it('BroadcastResponse and DeliverResponse (a status of UNKNOWN still goes on the wire inside the oneof)', () => {
    const statuses = Object.values(Status).filter((v): v is Status => typeof v === 'number');
    fc.assert(
      fc.property(fc.constantFrom(...statuses), fc.string(), (status, info) => {
        const br = new orderer.BroadcastResponse();
        br.setStatus(status as never);
        br.setInfo(info);
        expect(hex(encodeBroadcastResponse({ status, info }))).toBe(hex(br.serializeBinary()));
        expect(decodeBroadcastResponse(br.serializeBinary())).toEqual({ status, info });
        const dr = new orderer.DeliverResponse();
        dr.setStatus(status as never);
        expect(hex(encodeDeliverResponse({ type: 'status', status }))).toBe(hex(dr.serializeBinary()));
        expect(decodeDeliverResponse(dr.serializeBinary())).toEqual({ type: 'status', status });
      }),
    );
    expect(hex(encodeDeliverResponse({ type: 'status', status: Status.UNKNOWN }))).toBe('0800');
  });

  it('DeliverResponse carrying a real block, built from the block or from its stored bytes', () => {
    for (const blockBytes of allBlocks.slice(0, 3)) {
      const dr = new orderer.DeliverResponse();
      dr.setBlock(common.Block.deserializeBinary(blockBytes));
      const expected = hex(dr.serializeBinary());
      expect(hex(encodeDeliverResponse({ type: 'block', block: decodeBlock(blockBytes) }))).toBe(expected);
      expect(hex(encodeDeliverResponseBlockBytes(blockBytes))).toBe(expected);
      // Sent in pieces (Deliver): the header, then the block's bytes as they are.
      expect(hex(deliverResponseBlockHeader(blockBytes.length)) + hex(blockBytes)).toBe(expected);
      const back = decodeDeliverResponse(dr.serializeBinary());
      expect(back.type === 'block' && hex(encodeBlock(back.block))).toBe(hex(blockBytes));
    }
  });

  it('skips unknown fields of every wire type, as protobuf requires', () => {
    // Envelope{payload: 01, signature: 02} with unknown fields 9 (varint), 10 (fixed64), 11 (len), 12 (fixed32).
    const bytes = Uint8Array.of(0x48, 0x96, 0x01, 0x51, 1, 2, 3, 4, 5, 6, 7, 8, 0x5a, 0x01, 0xff, 0x65, 1, 2, 3, 4, 0x0a, 0x01, 0x01, 0x12, 0x01, 0x02);
    const env = decodeEnvelope(bytes);
    expect(hex(env.payload)).toBe('01');
    expect(hex(env.signature)).toBe('02');
  });
});

describe('malformed input names the field and carries a stable code', () => {
  function caught(fn: () => unknown): MalformedMessageError {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(MalformedMessageError);
      return err as MalformedMessageError;
    }
    return expect.unreachable('expected a MalformedMessageError');
  }

  it('rejects a block number above 2^53 - 1 instead of rounding it', () => {
    // Block{header: BlockHeader{number: 2^53}}
    const header = Uint8Array.of(0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10);
    const err = caught(() => decodeBlock(Uint8Array.of(0x0a, header.length, ...header)));
    expect(err.code).toBe('BAD_BLOCK');
    expect(err.field).toBe('block.header.number');
    // 2^53 - 1 itself is fine.
    const max = encodeBlock({
      header: { number: Number.MAX_SAFE_INTEGER, previousHash: new Uint8Array(0), dataHash: new Uint8Array(0) },
      data: [],
      metadata: [],
    });
    expect(decodeBlock(max).header.number).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('rejects a block without a header, and a truncated block, naming where', () => {
    expect(caught(() => decodeBlock(Uint8Array.of(0x12, 0x00))).field).toBe('block.header');
    const real = allBlocks[1]!;
    const err = caught(() => decodeBlock(real.subarray(0, real.length - 5)));
    expect(err.code).toBe('BAD_BLOCK');
    expect(err.message).toMatch(/^block\.metadata/);
  });

  it('rejects a SeekPosition with no member set, and a SeekInfo with a bad enum wire type', () => {
    const err = caught(() => decodeSeekInfo(Uint8Array.of(0x0a, 0x00)));
    expect(err.code).toBe('BAD_SEEK_INFO');
    expect(err.field).toBe('seek_info.start.Type');
    expect(caught(() => decodeSeekInfo(Uint8Array.of(0x1a, 0x00))).field).toBe('seek_info.behavior');
  });

  it('rejects invalid UTF-8 in a proto3 string, as Go does', () => {
    const err = caught(() => decodeBroadcastResponse(Uint8Array.of(0x12, 0x01, 0xff)));
    expect(err.code).toBe('BAD_RESPONSE');
    expect(err.field).toBe('broadcast_response.info');
  });

  it('decodes multi-byte UTF-8 strings', () => {
    const info = 'bloc \u00e9 \u533a\u5757 \u{1f600}';
    expect(decodeBroadcastResponse(encodeBroadcastResponse({ status: Status.SUCCESS, info })).info).toBe(info);
  });
});
