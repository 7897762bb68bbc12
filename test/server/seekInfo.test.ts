// The Deliver request's SeekInfo reader: agrees with the block codec and with
// Fabric's bindings, and takes Go's "forever" stop (MaxUint64).

import { orderer } from '@hyperledger/fabric-protos';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeSeekInfo, MalformedMessageError, SeekBehavior, SeekContentType, SeekErrorResponse, type SeekPosition } from '../../src/block/index.js';
import { readSeekInfo, SEEK_NUMBER_UNBOUNDED } from '../../src/server/seekInfo.js';
import { seekOldestToMaxUint64 } from './support/envelopes.js';

const position: fc.Arbitrary<SeekPosition> = fc.oneof(
  fc.constant<SeekPosition>({ type: 'oldest' }),
  fc.constant<SeekPosition>({ type: 'newest' }),
  fc.constant<SeekPosition>({ type: 'nextCommit' }),
  fc.maxSafeNat().map((number): SeekPosition => ({ type: 'specified', number })),
);

describe('readSeekInfo', () => {
  it('reads back what the block codec encodes', () => {
    fc.assert(
      fc.property(position, position, fc.constantFrom(0, 1), fc.constantFrom(0, 1), fc.constantFrom(0, 1), (start, stop, behavior, errorResponse, contentType) => {
        const info = { start, stop, behavior, errorResponse, contentType };
        expect(readSeekInfo(encodeSeekInfo(info))).toEqual(info);
      }),
      { numRuns: 200 },
    );
  });

  it('reads a SeekInfo marshaled by Fabric’s own bindings', () => {
    const specified = new orderer.SeekSpecified();
    specified.setNumber(42);
    const start = new orderer.SeekPosition();
    start.setSpecified(specified);
    const stop = new orderer.SeekPosition();
    stop.setNewest(new orderer.SeekNewest());
    const info = new orderer.SeekInfo();
    info.setStart(start);
    info.setStop(stop);
    info.setBehavior(orderer.SeekInfo.SeekBehavior.FAIL_IF_NOT_READY);
    info.setContentType(orderer.SeekInfo.SeekContentType.HEADER_WITH_SIG);
    expect(readSeekInfo(info.serializeBinary())).toEqual({
      start: { type: 'specified', number: 42 },
      stop: { type: 'newest' },
      behavior: SeekBehavior.FAIL_IF_NOT_READY,
      errorResponse: SeekErrorResponse.STRICT,
      contentType: SeekContentType.HEADER_WITH_SIG,
    });
  });

  it('saturates a stop of math.MaxUint64 instead of refusing it', () => {
    expect(readSeekInfo(seekOldestToMaxUint64())).toMatchObject({
      start: { type: 'oldest' },
      stop: { type: 'specified', number: SEEK_NUMBER_UNBOUNDED },
    });
  });

  it('an empty SeekInfo has no positions (the range check refuses it)', () => {
    expect(readSeekInfo(new Uint8Array(0))).toEqual({ behavior: 0, errorResponse: 0, contentType: 0 });
  });

  it('a position with no member set is malformed, naming it', () => {
    const bytes = new Uint8Array([0x0a, 0x00]); // start: SeekPosition{}
    expect(() => readSeekInfo(bytes)).toThrow(MalformedMessageError);
    expect(() => readSeekInfo(bytes)).toThrow('seek_info.start: no seek position set');
  });

  it('truncated bytes are malformed with code BAD_SEEK_INFO', () => {
    const bytes = encodeSeekInfo({ start: { type: 'oldest' }, stop: { type: 'specified', number: 300 }, behavior: 0, errorResponse: 0, contentType: 0 });
    try {
      readSeekInfo(bytes.subarray(0, bytes.length - 1));
      expect.unreachable('truncated SeekInfo was accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(MalformedMessageError);
      expect((error as MalformedMessageError).code).toBe('BAD_SEEK_INFO');
    }
  });

  it('a known field with the wrong wire type is malformed', () => {
    expect(() => readSeekInfo(new Uint8Array([0x08, 0x01]))).toThrow('seek_info.field 1: unexpected wire type 0');
  });

  it('unknown fields are skipped', () => {
    const known = encodeSeekInfo({ start: { type: 'newest' }, stop: { type: 'newest' }, behavior: 0, errorResponse: 0, contentType: 0 });
    const withUnknown = new Uint8Array([...known, 0x50, 0x07]); // field 10, varint 7
    expect(readSeekInfo(withUnknown)).toEqual(readSeekInfo(known));
  });
});
