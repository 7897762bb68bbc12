import { common, msp } from '@hyperledger/fabric-protos';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBlock } from '../../src/block/codec/block.js';
import { encodeChannelHeader, encodeEnvelope, encodePayload, encodeSerializedIdentity, encodeSignatureHeader } from '../../src/block/codec/common.js';
import { readEnvelopeFields, readEnvelopeRouting, readTxIds } from '../../src/block/envelopeFields.js';
import { MalformedMessageError } from '../../src/block/errors.js';
import { hex, ledgerBadDir, ledgerSampleDir, readLedgerBlocks, readManifest } from './fixtures.js';

const empty = new Uint8Array(0);
const realEnvelopes = [ledgerSampleDir, ledgerBadDir].flatMap((dir) => {
  const manifest = readManifest(dir);
  return readLedgerBlocks(dir).flatMap((bytes, i) => decodeBlock(bytes).data.map((env, j) => ({ env, tx: manifest[i]!.txs[j]! })));
});

function envelopeWith(channelHeader: Uint8Array, creator: Uint8Array = empty): Uint8Array {
  const signatureHeader = encodeSignatureHeader({ creator, nonce: Uint8Array.of(7) });
  const payload = encodePayload({ header: { channelHeader, signatureHeader }, data: Uint8Array.of(1, 2) });
  return encodeEnvelope({ payload, signature: Uint8Array.of(9) });
}

function expectMalformed(fn: () => unknown, field: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MalformedMessageError);
    expect((err as MalformedMessageError).code).toBe('BAD_ENVELOPE');
    expect((err as MalformedMessageError).field).toBe(field);
    return;
  }
  expect.unreachable(`expected a MalformedMessageError on ${field}`);
}

describe('readEnvelopeFields', () => {
  it('extracts the same fields as fabric-protos and the manifest on every real envelope', () => {
    expect(realEnvelopes.length).toBe(18);
    for (const { env, tx } of realEnvelopes) {
      const f = readEnvelopeFields(env);
      const libEnv = common.Envelope.deserializeBinary(env);
      const libPayload = common.Payload.deserializeBinary(libEnv.getPayload_asU8());
      const libCh = common.ChannelHeader.deserializeBinary(libPayload.getHeader()!.getChannelHeader_asU8());
      const libSh = common.SignatureHeader.deserializeBinary(libPayload.getHeader()!.getSignatureHeader_asU8());
      const libId = msp.SerializedIdentity.deserializeBinary(libSh.getCreator_asU8());
      expect(hex(f.payload)).toBe(hex(libEnv.getPayload_asU8()));
      expect(hex(f.signature)).toBe(hex(libEnv.getSignature_asU8()));
      expect([f.headerType, f.channelId, f.txId]).toEqual([libCh.getType(), libCh.getChannelId(), libCh.getTxId()]);
      expect(hex(f.creator)).toBe(hex(libSh.getCreator_asU8()));
      expect(f.creatorMspId).toBe(libId.getMspid());
      expect(hex(f.creatorIdBytes)).toBe(hex(libId.getIdBytes_asU8()));
      expect([f.headerType, f.channelId, f.txId, f.creatorMspId]).toEqual([tx.type, tx.channelId, tx.txId, tx.creatorMspId]);
    }
  });

  it('agrees with fabric-protos on random envelopes (unicode ids, negative types, empty parts)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
        fc.string({ unit: 'grapheme' }),
        fc.string(),
        fc.string({ unit: 'grapheme' }),
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.uint8Array({ maxLength: 40 }),
        (type, channelId, txId, mspid, idBytes, signature, data) => {
          const id = new msp.SerializedIdentity();
          id.setMspid(mspid);
          id.setIdBytes(idBytes);
          const sh = new common.SignatureHeader();
          sh.setCreator(id.serializeBinary());
          sh.setNonce(Uint8Array.of(1, 2, 3));
          const ch = new common.ChannelHeader();
          ch.setType(type);
          ch.setChannelId(channelId);
          ch.setTxId(txId);
          ch.setEpoch(7);
          const header = new common.Header();
          header.setChannelHeader(ch.serializeBinary());
          header.setSignatureHeader(sh.serializeBinary());
          const payload = new common.Payload();
          payload.setHeader(header);
          payload.setData(data);
          const env = new common.Envelope();
          env.setPayload(payload.serializeBinary());
          env.setSignature(signature);
          const f = readEnvelopeFields(env.serializeBinary());
          expect([f.headerType, f.channelId, f.txId, f.creatorMspId]).toEqual([type, channelId, txId, mspid]);
          expect(hex(f.creatorIdBytes)).toBe(hex(idBytes));
          expect(hex(f.creator)).toBe(hex(id.serializeBinary()));
          expect(hex(f.payload)).toBe(hex(payload.serializeBinary()));
          expect(hex(f.signature)).toBe(hex(signature));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('returns views into the input, not copies', () => {
    const { env } = realEnvelopes[1]!;
    const f = readEnvelopeFields(env);
    for (const view of [f.payload, f.signature, f.creator, f.creatorIdBytes]) {
      expect(view.buffer).toBe(env.buffer);
      expect(view.byteOffset).toBeGreaterThanOrEqual(env.byteOffset);
      expect(view.byteOffset + view.length).toBeLessThanOrEqual(env.byteOffset + env.length);
    }
  });

  it('reads the creator and negative header types of hand-built envelopes', () => {
    const creator = encodeSerializedIdentity({ mspid: 'Org1MSP', idBytes: Uint8Array.of(1, 2, 3) });
    const ch = encodeChannelHeader({ type: -5, version: 1, channelId: 'ch', txId: 'tx', epoch: 3, extension: empty, tlsCertHash: empty });
    const f = readEnvelopeFields(envelopeWith(ch, creator));
    expect([f.headerType, f.channelId, f.txId, f.creatorMspId, hex(f.creatorIdBytes)]).toEqual([-5, 'ch', 'tx', 'Org1MSP', '010203']);
  });

  it("reads each envelope's own channel id and creator MSP when consecutive ones differ, even in a buffer reused in place", () => {
    const of = (channelId: string, mspid: string) =>
      envelopeWith(
        encodeChannelHeader({ type: 3, version: 0, channelId, txId: 't', epoch: 0, extension: empty, tlsCertHash: empty }),
        encodeSerializedIdentity({ mspid, idBytes: Uint8Array.of(1) }),
      );
    const pairs: [string, string][] = [
      ['chan-a', 'Org1MSP'],
      ['chan-a', 'Org1MSP'],
      ['chan-b', 'Org2MSP'],
      ['chan-a', 'Org2MSP'],
      ['chanel-c', 'Org1MSP'],
      ['chan-b', 'Org1MSP'],
    ];
    expect(pairs.map(([c, m]) => readEnvelopeFields(of(c, m))).map((f) => [f.channelId, f.creatorMspId])).toEqual(pairs);
    const reused = Buffer.from(of('chan-a', 'Org1MSP'));
    expect(readEnvelopeFields(reused).creatorMspId).toBe('Org1MSP');
    Buffer.from(of('chan-b', 'Org2MSP')).copy(reused);
    expect([readEnvelopeFields(reused).channelId, readEnvelopeFields(reused).creatorMspId]).toEqual(['chan-b', 'Org2MSP']);
    // Bytes that are not UTF-8 right after a valid id of the same length are still refused.
    const badMsp = envelopeWith(
      encodeChannelHeader({ type: 3, version: 0, channelId: 'chan-a', txId: 't', epoch: 0, extension: empty, tlsCertHash: empty }),
      Uint8Array.of(0x0a, 0x07, 0x4f, 0x72, 0x67, 0x31, 0x4d, 0x53, 0xc3),
    );
    expectMalformed(() => readEnvelopeFields(badMsp), 'envelope.payload.header.signature_header.creator.mspid');
  });

  it('names the field of malformed input', () => {
    const good = realEnvelopes[1]!.env;
    expectMalformed(() => readEnvelopeFields(good.subarray(0, good.length - 1)), 'envelope.signature');
    expectMalformed(() => readEnvelopeFields(Uint8Array.of(0x0a, 0x05, 0x01)), 'envelope.payload');
    // Payload with only data: no header.
    const headerless = encodeEnvelope({ payload: encodePayload({ data: Uint8Array.of(1) }), signature: Uint8Array.of(1) });
    expectMalformed(() => readEnvelopeFields(headerless), 'envelope.payload.header');
    // channel_id (field 4) sent as a varint.
    expectMalformed(() => readEnvelopeFields(envelopeWith(Uint8Array.of(0x20, 0x01))), 'envelope.payload.header.channel_header.field 4');
    // channel_id not valid UTF-8.
    expectMalformed(() => readEnvelopeFields(envelopeWith(Uint8Array.of(0x22, 0x02, 0xc3, 0x28))), 'envelope.payload.header.channel_header.channel_id');
    // An 11-byte varint for type.
    const overlong = Uint8Array.of(0x08, ...new Array<number>(10).fill(0xff), 0x01);
    expectMalformed(() => readEnvelopeFields(envelopeWith(overlong)), 'envelope.payload.header.channel_header.type');
    // Field number 0.
    expectMalformed(() => readEnvelopeFields(Uint8Array.of(0x02, 0x00)), 'envelope.key');
  });

  it('throws nothing but MalformedMessageError on corrupted real envelopes', () => {
    const envs = realEnvelopes.map((e) => e.env);
    fc.assert(
      fc.property(fc.nat(envs.length - 1), fc.nat(), fc.nat(255), fc.nat(), (which, at, value, cut) => {
        const bytes = Uint8Array.from(envs[which]!);
        bytes[at % bytes.length] = value;
        const input = bytes.subarray(0, bytes.length - (cut % 64));
        try {
          readEnvelopeFields(input);
        } catch (err) {
          expect(err).toBeInstanceOf(MalformedMessageError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('readEnvelopeRouting', () => {
  it('reads the type and channel id readEnvelopeFields reads, on every real envelope', () => {
    for (const { env } of realEnvelopes) {
      const f = readEnvelopeFields(env);
      expect(readEnvelopeRouting(env)).toEqual({ headerType: f.headerType, channelId: f.channelId });
    }
  });

  it("reads each envelope's own channel id when consecutive ones differ, even in a receive buffer reused in place", () => {
    const onChannel = (channelId: string) =>
      envelopeWith(encodeChannelHeader({ type: 3, version: 0, channelId, txId: 't', epoch: 0, extension: empty, tlsCertHash: empty }));
    const ids = ['chan-a', 'chan-a', 'chan-b', 'chan-a', 'chanel-c', 'chan-b'];
    expect(ids.map((id) => readEnvelopeRouting(onChannel(id)).channelId)).toEqual(ids);
    // One buffer rewritten with the next message, as a stream's receive buffer is.
    const reused = Buffer.from(onChannel('chan-a'));
    expect(readEnvelopeRouting(reused).channelId).toBe('chan-a');
    Buffer.from(onChannel('chan-b')).copy(reused);
    expect(readEnvelopeRouting(reused).channelId).toBe('chan-b');
    expectMalformed(
      () => readEnvelopeRouting(envelopeWith(Uint8Array.of(0x22, 0x06, 0x63, 0x68, 0x61, 0x6e, 0x2d, 0xc3))),
      'envelope.payload.header.channel_header.channel_id',
    );
  });

  it('names the field of malformed input on the path it reads', () => {
    expectMalformed(() => readEnvelopeRouting(Uint8Array.of(0x0a, 0x05, 0x01)), 'envelope.payload');
    expectMalformed(() => readEnvelopeRouting(Uint8Array.of(0x12, 0x05, 0x01)), 'envelope.signature');
    const headerless = encodeEnvelope({ payload: encodePayload({ data: Uint8Array.of(1) }), signature: Uint8Array.of(1) });
    expectMalformed(() => readEnvelopeRouting(headerless), 'envelope.payload.header');
    expectMalformed(() => readEnvelopeRouting(envelopeWith(Uint8Array.of(0x20, 0x01))), 'envelope.payload.header.channel_header.field 4');
    expectMalformed(() => readEnvelopeRouting(envelopeWith(Uint8Array.of(0x22, 0x02, 0xc3, 0x28))), 'envelope.payload.header.channel_header.channel_id');
  });
});

describe('readTxIds', () => {
  it('reads the tx ids of every real block, as the manifest and readEnvelopeFields have them', () => {
    for (const dir of [ledgerSampleDir, ledgerBadDir]) {
      const manifest = readManifest(dir);
      readLedgerBlocks(dir).forEach((bytes, i) => {
        const data = decodeBlock(bytes).data;
        expect(readTxIds(data)).toEqual(data.map((env) => readEnvelopeFields(env).txId));
        expect(readTxIds(data)).toEqual(manifest[i]!.txs.map((tx) => tx.txId));
      });
    }
  });

  it('reads envelopes from separate buffers as well as views into one', () => {
    const a = envelopeWith(encodeChannelHeader({ type: 3, version: 0, channelId: 'ch', txId: 'tx-a', epoch: 0, extension: empty, tlsCertHash: empty }));
    const b = envelopeWith(encodeChannelHeader({ type: 3, version: 0, channelId: 'ch', txId: 'tx-b', epoch: 0, extension: empty, tlsCertHash: empty }));
    expect(readTxIds([a, b])).toEqual(['tx-a', 'tx-b']);
    expect(readTxIds([])).toEqual([]);
  });

  it('refuses a malformed envelope naming the field, with the code asked for', () => {
    try {
      readTxIds([Uint8Array.of(0x0a, 0x05, 0x01)], 'BAD_BLOCK');
      expect.unreachable('a truncated envelope must be refused');
    } catch (err) {
      expect(err).toBeInstanceOf(MalformedMessageError);
      expect((err as MalformedMessageError).code).toBe('BAD_BLOCK');
      expect((err as MalformedMessageError).field).toBe('envelope.payload');
    }
  });
});
