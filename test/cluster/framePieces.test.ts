// A Consensus frame carrying a large entry is encoded as pieces around the
// entry's own data: the bytes decode to the same frame as msgpackr's
// encoding, and the large data is the entry's buffer, not a copy.

import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { consensusFramePieces, PIECE_BYTES_MIN, PiecedBytes, piecesOf } from '../../src/cluster/framePieces.js';
import { decodeFrame, decodeFrames, encodeFrame, FrameKind, type Frame } from '../../src/cluster/frames.js';
import { EntryType, MessageType, type Entry, type Message } from '../../src/raft/types.js';

function message(entries: Entry[], overrides: Partial<Message> = {}): Message {
  return { type: MessageType.MsgApp, to: 2, from: 1, term: 5, logTerm: 4, index: 99, entries, commit: 98, reject: false, rejectHint: 0, ...overrides };
}

/** Same frame: msgpackr encodes both to the same bytes (a deep compare of 500 KB arrays is slow). */
function expectSameFrame(actual: Frame, expected: Frame): void {
  expect(encodeFrame(actual).equals(encodeFrame(expected))).toBe(true);
}

const large = (fill: number, n = PIECE_BYTES_MIN + 1000): Uint8Array => new Uint8Array(n).fill(fill);

describe('consensus frame pieces', () => {
  test('decode to the frame msgpackr encodes, the large data uncopied', () => {
    const data = large(7, 500_000);
    const m = message([
      { term: 5, index: 100, type: EntryType.Normal, data },
      { term: 5, index: 101, type: EntryType.Normal, data: new Uint8Array([1, 2, 3]) },
    ]);
    const frame: Frame = { kind: FrameKind.Consensus, channel: 'benchchannel', message: m };
    const pieced = consensusFramePieces('benchchannel', m)!;
    expect(pieced).toBeInstanceOf(PiecedBytes);
    const joined = Buffer.concat(pieced.pieces);
    expect(joined.length).toBe(pieced.length);
    expectSameFrame(decodeFrame(joined), frame);
    expect(pieced.pieces.some((p) => p.buffer === data.buffer && p.byteOffset === data.byteOffset && p.length === data.length)).toBe(true);
  });

  test('frames written as one message, pieced or not, decode in order', () => {
    const m = message([{ term: 5, index: 100, type: EntryType.Normal, data: large(1) }], { context: new Uint8Array([9]), reject: true, rejectHint: 70_000 });
    const heartbeat: Frame = { kind: FrameKind.Consensus, channel: 'c', message: message([], { type: MessageType.MsgHeartbeat }) };
    const joined = Buffer.concat(piecesOf([encodeFrame(heartbeat), consensusFramePieces('c', m)!, encodeFrame(heartbeat)]));
    const frames = decodeFrames(joined);
    expect(frames).toHaveLength(3);
    expectSameFrame(frames[1]!, { kind: FrameKind.Consensus, channel: 'c', message: m });
    expectSameFrame(frames[2]!, heartbeat);
  });

  test('leaves to msgpackr a message with no large entry, a snapshot or an integer of 2^32 or more', () => {
    expect(consensusFramePieces('c', message([{ term: 1, index: 1, type: EntryType.Normal, data: large(1, PIECE_BYTES_MIN - 1) }]))).toBeUndefined();
    const entry = { term: 1, index: 1, type: EntryType.Normal, data: large(1) };
    expect(consensusFramePieces('c', message([entry], { term: 2 ** 32 }))).toBeUndefined();
    const snapshot = {
      data: new Uint8Array(1),
      metadata: { index: 1, term: 1, confState: { voters: [1], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } },
    };
    expect(consensusFramePieces('c', message([entry], { snapshot }))).toBeUndefined();
  });

  test('any message with a large entry round-trips (property)', () => {
    const uint = fc.integer({ min: 0, max: 2 ** 32 - 1 });
    const entryArb = fc.record({
      term: uint,
      index: uint,
      type: fc.constantFrom(EntryType.Normal, EntryType.ConfChange, EntryType.ConfChangeV2),
      data: fc.oneof(
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: PIECE_BYTES_MIN, max: PIECE_BYTES_MIN + 300 }).map((n) => large(3, n)),
      ),
    });
    fc.assert(
      fc.property(
        fc.array(entryArb, { maxLength: 6 }),
        fc.record({ term: uint, logTerm: uint, index: uint, commit: uint, reject: fc.boolean(), rejectHint: uint, to: uint, from: uint }),
        fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }),
        fc.stringMatching(/^[a-z][a-z0-9.-]{0,248}$/),
        (entries, fields, context, channel) => {
          const m = message([...entries, { term: 1, index: 1, type: EntryType.Normal, data: large(2) }], {
            ...fields,
            ...(context !== undefined && { context }),
          });
          const pieced = consensusFramePieces(channel, m)!;
          expectSameFrame(decodeFrame(Buffer.concat(pieced.pieces)), { kind: FrameKind.Consensus, channel, message: m });
        },
      ),
      { numRuns: 100 },
    );
  });
});
