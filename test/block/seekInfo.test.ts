// SeekInfo in the block codec: Fabric's "stream forever" stop (specified{MaxUint64})
// reads as SEEK_MAX and is written back byte for byte; every other uint64 field
// still refuses values above 2^53 - 1.

import { common, orderer } from '@hyperledger/fabric-protos';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeBlock,
  decodeChannelHeader,
  decodeSeekInfo,
  encodeSeekInfo,
  MalformedMessageError,
  SEEK_MAX,
  SeekBehavior,
  SeekContentType,
  SeekErrorResponse,
  type SeekInfo,
  type SeekPosition,
} from '../../src/block/index.js';

const MAX_UINT64_VARINT = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
/** 2^53 as a varint: the smallest value that is not a safe integer. */
const TWO_POW_53_VARINT = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10];

/** SeekInfo{start: oldest, stop: specified{number}} byte for byte as Go marshals it. */
function seekOldestTo(numberVarint: readonly number[]): Uint8Array {
  const specified = [0x08, ...numberVarint];
  const stopPosition = [0x1a, specified.length, ...specified];
  const startPosition = [0x12, 0x00];
  return new Uint8Array([0x0a, startPosition.length, ...startPosition, 0x12, stopPosition.length, ...stopPosition]);
}

const position: fc.Arbitrary<SeekPosition> = fc.oneof(
  fc.constant<SeekPosition>({ type: 'oldest' }),
  fc.constant<SeekPosition>({ type: 'newest' }),
  fc.constant<SeekPosition>({ type: 'nextCommit' }),
  fc.oneof(fc.maxSafeNat(), fc.constant(SEEK_MAX)).map((number): SeekPosition => ({ type: 'specified', number })),
);

describe('SeekInfo: stop = specified{MaxUint64}', () => {
  it('reads Go’s MaxUint64 as SEEK_MAX and writes the same bytes back', () => {
    const goBytes = seekOldestTo(MAX_UINT64_VARINT);
    const info = decodeSeekInfo(goBytes);
    expect(info).toEqual({ start: { type: 'oldest' }, stop: { type: 'specified', number: SEEK_MAX }, behavior: 0, errorResponse: 0, contentType: 0 });
    expect(Buffer.from(encodeSeekInfo(info)).toString('hex')).toBe(Buffer.from(goBytes).toString('hex'));
  });

  it('reads any value above 2^53 - 1 as SEEK_MAX (no block gets there), and 2^53 - 1 itself exactly', () => {
    expect(decodeSeekInfo(seekOldestTo(TWO_POW_53_VARINT)).stop).toEqual({ type: 'specified', number: SEEK_MAX });
    const safeMax = encodeSeekInfo({ stop: { type: 'specified', number: Number.MAX_SAFE_INTEGER }, behavior: 0, errorResponse: 0, contentType: 0 });
    expect(decodeSeekInfo(safeMax).stop).toEqual({ type: 'specified', number: Number.MAX_SAFE_INTEGER });
  });

  it('Fabric’s bindings read our SEEK_MAX as a stop beyond every safe integer', () => {
    const ours = encodeSeekInfo({ start: { type: 'oldest' }, stop: { type: 'specified', number: SEEK_MAX }, behavior: 0, errorResponse: 0, contentType: 0 });
    const lib = orderer.SeekInfo.deserializeBinary(ours);
    expect(lib.getStop()?.hasSpecified()).toBe(true);
    // jspb holds uint64 as a float: 2^64 - 1 rounds to 2^64.
    expect(Number(lib.getStop()!.getSpecified()!.getNumber())).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
  });

  it('every position, SEEK_MAX included, round-trips through encode and decode', () => {
    fc.assert(
      fc.property(
        position,
        position,
        fc.constantFrom(0, 1),
        fc.constantFrom(0, 1),
        fc.constantFrom(0, 1),
        (start, stop, behavior, errorResponse, contentType) => {
          const info: SeekInfo = { start, stop, behavior, errorResponse, contentType };
          expect(decodeSeekInfo(encodeSeekInfo(info))).toEqual(info);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a Deliver-style request from Fabric’s bindings (FAIL_IF_NOT_READY, HEADER_WITH_SIG) reads field by field', () => {
    const specified = new orderer.SeekSpecified();
    specified.setNumber(42);
    const start = new orderer.SeekPosition();
    start.setSpecified(specified);
    const stop = new orderer.SeekPosition();
    stop.setNewest(new orderer.SeekNewest());
    const lib = new orderer.SeekInfo();
    lib.setStart(start);
    lib.setStop(stop);
    lib.setBehavior(orderer.SeekInfo.SeekBehavior.FAIL_IF_NOT_READY);
    lib.setContentType(orderer.SeekInfo.SeekContentType.HEADER_WITH_SIG);
    expect(decodeSeekInfo(lib.serializeBinary())).toEqual({
      start: { type: 'specified', number: 42 },
      stop: { type: 'newest' },
      behavior: SeekBehavior.FAIL_IF_NOT_READY,
      errorResponse: SeekErrorResponse.STRICT,
      contentType: SeekContentType.HEADER_WITH_SIG,
    });
  });
});

describe('other uint64 fields keep refusing values above 2^53 - 1', () => {
  it('a block header number of MaxUint64 is malformed, naming the field', () => {
    const header = [0x08, ...MAX_UINT64_VARINT]; // BlockHeader{number: MaxUint64}
    const block = Uint8Array.from([0x0a, header.length, ...header]);
    expect(() => decodeBlock(block)).toThrow(MalformedMessageError);
    expect(() => decodeBlock(block)).toThrow(/header\.number.*2\^53 - 1/);
  });

  it('a channel header epoch of MaxUint64 is malformed', () => {
    const channelHeader = new common.ChannelHeader();
    channelHeader.setChannelId('mychannel');
    const bytes = channelHeader.serializeBinary();
    const withEpoch = Uint8Array.from([...bytes, 0x30, ...MAX_UINT64_VARINT]); // field 6 (epoch), varint
    expect(() => decodeChannelHeader(withEpoch)).toThrow(/epoch.*2\^53 - 1/);
  });
});
