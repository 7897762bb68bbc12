import { orderer } from '@hyperledger/fabric-protos';
import { describe, expect, it } from 'vitest';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import {
  decodePayload,
  encodeChannelHeader,
  encodeEnvelope,
  encodePayload,
  encodeSerializedIdentity,
  encodeSignatureHeader,
} from '../../src/block/codec/common.js';
import { createSeekInfoEnvelope, readDeliverRequest } from '../../src/block/deliverRequest.js';
import { MalformedMessageError } from '../../src/block/errors.js';
import { HeaderType, SeekBehavior, SeekContentType, SeekErrorResponse, type SeekInfo } from '../../src/block/model.js';

const crypto = createCryptoProvider('native');
const signer = crypto.generateSigner('ecdsa-p256');
const creator = { signer, serializedIdentity: encodeSerializedIdentity({ mspid: 'Org1MSP', idBytes: Uint8Array.of(1) }) };

describe('Deliver requests', () => {
  const seekInfo: SeekInfo = {
    start: { type: 'specified', number: 3 },
    stop: { type: 'newest' },
    behavior: SeekBehavior.FAIL_IF_NOT_READY,
    errorResponse: SeekErrorResponse.BEST_EFFORT,
    contentType: SeekContentType.HEADER_WITH_SIG,
  };

  it('round-trips a signed SeekInfo envelope, readable by fabric-protos, signed over the payload', () => {
    const bytes = createSeekInfoEnvelope({ channelId: 'mychannel', seekInfo, creator, timestamp: { seconds: 1_700_000_000, nanos: 0 } });
    const request = readDeliverRequest(bytes);
    expect(request.seekInfo).toEqual(seekInfo);
    expect(request.fields.headerType).toBe(HeaderType.DELIVER_SEEK_INFO);
    expect(request.fields.channelId).toBe('mychannel');
    expect(request.channelHeader.timestamp).toEqual({ seconds: 1_700_000_000, nanos: 0 });
    expect(crypto.verifier('ecdsa-p256').verify(signer.publicKey, request.fields.payload, request.fields.signature)).toBe(true);

    const lib = orderer.SeekInfo.deserializeBinary(decodePayload(request.fields.payload).data);
    expect(lib.getStart()!.getSpecified()!.getNumber()).toBe(3);
    expect(lib.getStop()!.hasNewest()).toBe(true);
    expect([lib.getBehavior(), lib.getErrorResponse(), lib.getContentType()]).toEqual([1, 1, 1]);
  });

  it('names the SeekInfo field that is wrong, with BAD_SEEK_INFO', () => {
    const channelHeader = encodeChannelHeader({
      type: HeaderType.DELIVER_SEEK_INFO,
      version: 0,
      channelId: 'c',
      txId: '',
      epoch: 0,
      extension: new Uint8Array(0),
      tlsCertHash: new Uint8Array(0),
    });
    const signatureHeader = encodeSignatureHeader({ creator: creator.serializedIdentity, nonce: Uint8Array.of(1) });
    // SeekInfo{start: SeekPosition{}} — no member of the oneof set.
    const payload = encodePayload({ header: { channelHeader, signatureHeader }, data: Uint8Array.of(0x0a, 0x00) });
    try {
      readDeliverRequest(encodeEnvelope({ payload, signature: signer.sign(payload) }));
      expect.unreachable('expected a MalformedMessageError');
    } catch (err) {
      expect(err).toBeInstanceOf(MalformedMessageError);
      expect((err as MalformedMessageError).code).toBe('BAD_SEEK_INFO');
      expect((err as MalformedMessageError).field).toBe('envelope.payload.data.start.Type');
    }
  });

  it('leaves absent start/stop to the caller (Fabric answers BAD_REQUEST after access control)', () => {
    const bytes = createSeekInfoEnvelope({ channelId: 'c', seekInfo: { behavior: 0, errorResponse: 0, contentType: 0 }, creator });
    const request = readDeliverRequest(bytes);
    expect(request.seekInfo.start).toBeUndefined();
    expect(request.seekInfo.stop).toBeUndefined();
  });
});
