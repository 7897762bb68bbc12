// The frame codec: every Raft message type round-trips (snapshots, entries of
// every type, context), random messages round-trip (property), malformed
// frames are refused with an error naming the bad field, and both engines'
// msgpackr builds put the same bytes on the wire (only native's uses the add-on).

import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
// msgpackr's pure-JS entry point: its main one would switch the native-free codec's copy to the add-on.
import { Packr } from 'msgpackr/pack';
import { ClusterFrameError } from '../../src/cluster/errors.js';
import { CLUSTER_PROTOCOL_VERSION, FrameKind, decodeFrame, decodeFrames, encodeFrame, frameCodec, type Frame } from '../../src/cluster/frames.js';
import { EntryType, MessageType, type Entry, type Message, type Snapshot } from '../../src/raft/types.js';

const messageTypes = Object.values(MessageType).filter((v): v is MessageType => typeof v === 'number');

const snapshot: Snapshot = {
  data: new Uint8Array([9, 8, 7, 6, 5]),
  metadata: {
    index: 1234,
    term: 7,
    confState: { voters: [1, 2, 3], learners: [4], votersOutgoing: [1, 2], learnersNext: [5], autoLeave: true },
  },
};

const entries: Entry[] = [
  { term: 3, index: 10, type: EntryType.Normal, data: new Uint8Array([1, 2, 3]) },
  { term: 3, index: 11, type: EntryType.ConfChange, data: new Uint8Array([4]) },
  { term: 4, index: 12, type: EntryType.ConfChangeV2, data: new Uint8Array(0) },
];

function sample(type: MessageType): Message {
  return {
    type,
    to: 2,
    from: 1,
    term: 2 ** 40,
    logTerm: 3,
    index: Number.MAX_SAFE_INTEGER,
    entries: type === MessageType.MsgApp || type === MessageType.MsgProp ? entries : [],
    commit: 9,
    snapshot: type === MessageType.MsgSnap ? snapshot : undefined,
    reject: type === MessageType.MsgAppResp,
    rejectHint: 11,
    context: type === MessageType.MsgVote ? new Uint8Array([0xca, 0xfe]) : undefined,
  };
}

/** Normalizes Buffers to plain Uint8Arrays so toEqual compares contents, not classes. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return Array.from(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

function roundTrip(frame: Frame): Frame {
  return decodeFrame(encodeFrame(frame));
}

describe('frame round trips', () => {
  test.each(messageTypes.map((t) => [MessageType[t], t] as const))('consensus frame with %s', (_name, type) => {
    const frame: Frame = { kind: FrameKind.Consensus, channel: 'mychannel', message: sample(type) };
    const decoded = roundTrip(frame);
    expect(plain(decoded)).toEqual(plain(frame));
    // Optional fields absent stay absent (not null), as RawNode expects.
    if (decoded.kind !== FrameKind.Consensus) throw new Error('kind changed');
    expect('snapshot' in decoded.message && decoded.message.snapshot === undefined).toBe(type !== MessageType.MsgSnap);
  });

  test('snapshot keeps its data, index, term and full conf state', () => {
    const decoded = roundTrip({ kind: FrameKind.Consensus, channel: 'c', message: sample(MessageType.MsgSnap) });
    if (decoded.kind !== FrameKind.Consensus) throw new Error('kind changed');
    expect(plain(decoded.message.snapshot)).toEqual(plain(snapshot));
  });

  test('hello, welcome, submit and submit result frames', () => {
    const frames: Frame[] = [
      { kind: FrameKind.Hello, protocolVersion: CLUSTER_PROTOCOL_VERSION, from: 3, to: 1 },
      { kind: FrameKind.Welcome },
      { kind: FrameKind.Submit, channel: 'ch', requestId: 77, envelope: new Uint8Array(1024).fill(5) },
      { kind: FrameKind.SubmitResult, requestId: 77, errorCode: '', errorMessage: '' },
      { kind: FrameKind.SubmitResult, requestId: 78, errorCode: 'FORBIDDEN', errorMessage: 'signature does not verify' },
      { kind: FrameKind.SubmitBatch, channel: 'ch', firstRequestId: 100, envelopes: [new Uint8Array(1024).fill(1), new Uint8Array(0), Uint8Array.of(3)] },
      {
        kind: FrameKind.SubmitResults,
        accepted: [
          [100, 1],
          [102, 7],
        ],
        rejected: [{ requestId: 101, errorCode: 'BAD_REQUEST', errorMessage: 'malformed' }],
      },
      { kind: FrameKind.SubmitResults, accepted: [], rejected: [] },
    ];
    for (const frame of frames) expect(plain(roundTrip(frame))).toEqual(plain(frame));
  });

  test('random messages round-trip (property)', () => {
    const id = fc.integer({ min: 0, max: 2 ** 31 });
    const uint = fc.maxSafeNat();
    const bytes = fc.uint8Array({ maxLength: 64 });
    const entry = fc.record({ term: uint, index: uint, type: fc.constantFrom(EntryType.Normal, EntryType.ConfChange, EntryType.ConfChangeV2), data: bytes });
    const ids = fc.array(id, { maxLength: 5 });
    const snap = fc.record({
      data: bytes,
      metadata: fc.record({
        index: uint,
        term: uint,
        confState: fc.record({ voters: ids, learners: ids, votersOutgoing: ids, learnersNext: ids, autoLeave: fc.boolean() }),
      }),
    });
    const message = fc.record(
      {
        type: fc.constantFrom(...messageTypes),
        to: id,
        from: id,
        term: uint,
        logTerm: uint,
        index: uint,
        entries: fc.array(entry, { maxLength: 8 }),
        commit: uint,
        snapshot: snap,
        reject: fc.boolean(),
        rejectHint: uint,
        context: bytes,
      },
      { requiredKeys: ['type', 'to', 'from', 'term', 'logTerm', 'index', 'entries', 'commit', 'reject', 'rejectHint'] },
    );
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 249 }), message, (channel, m) => {
        const frame: Frame = { kind: FrameKind.Consensus, channel, message: m as Message };
        const decoded = roundTrip(frame);
        if (decoded.kind !== FrameKind.Consensus) return false;
        const want = { ...m, snapshot: m.snapshot, context: m.context };
        expect(plain({ ...decoded.message })).toEqual(plain(want));
        expect(decoded.channel).toBe(channel);
        return true;
      }),
      { numRuns: 300 },
    );
  });
});

describe('several frames in one gRPC message', () => {
  const frames: Frame[] = [
    { kind: FrameKind.Consensus, channel: 'a', message: sample(MessageType.MsgApp) },
    { kind: FrameKind.Submit, channel: 'b', requestId: 1, envelope: new Uint8Array([1, 2]) },
    { kind: FrameKind.Consensus, channel: 'a', message: sample(MessageType.MsgSnap) },
  ];

  test('decode in order, each as decodeFrame would', () => {
    const message = Buffer.concat(frames.map(encodeFrame));
    expect(plain(decodeFrames(message))).toEqual(plain(frames));
    expect(plain(decodeFrames(encodeFrame(frames[1]!)))).toEqual([plain(frames[1])]);
  });

  test('a truncated or bad frame anywhere refuses the whole message', () => {
    const whole = Buffer.concat(frames.map(encodeFrame));
    expect(() => decodeFrames(whole.subarray(0, whole.length - 3))).toThrow(/not a sequence of valid msgpack frames/);
    const bad = Buffer.concat([encodeFrame(frames[0]!), new Packr({ useRecords: false }).pack([FrameKind.Submit, 'c', -1, new Uint8Array(0)])]);
    expect(() => decodeFrames(bad)).toThrow(/submit\.requestId/);
    expect(() => decodeFrames(new Uint8Array(0))).toThrow(ClusterFrameError);
  });
});

describe('malformed frames are refused naming the field', () => {
  const packr = new Packr({ useRecords: false });
  const good = encodeFrame({ kind: FrameKind.Consensus, channel: 'c', message: sample(MessageType.MsgApp) });
  const goodTuple = packr.unpack(good) as unknown[];

  function withMessageField(position: number, value: unknown): Uint8Array {
    const message = [...(goodTuple[2] as unknown[])];
    message[position] = value;
    return packr.pack([goodTuple[0], goodTuple[1], message]);
  }

  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['truncated msgpack', new Uint8Array([0x93, 0x02]), /not valid msgpack/],
    ['not an array', packr.pack({ kind: 2 }), /frame is not an array/],
    ['unknown kind', packr.pack([99]), /frame kind 99 is unknown/],
    ['hello with a negative id', packr.pack([FrameKind.Hello, 1, -1, 2]), /hello\.from/],
    ['welcome with extra fields', packr.pack([FrameKind.Welcome, 1]), /welcome frame has 2 fields/],
    ['empty channel', packr.pack([FrameKind.Consensus, '', goodTuple[2]]), /channel is empty/],
    ['over-long channel', packr.pack([FrameKind.Consensus, 'x'.repeat(250), goodTuple[2]]), /channel is 250 characters/],
    ['message type out of range', withMessageField(0, 24), /message\.type is 24/],
    ['fractional term', withMessageField(3, 1.5), /message\.term/],
    ['term beyond 2^53', withMessageField(3, 2 ** 60), /message\.term/],
    ['entries not in fours', withMessageField(6, [1, 2, 3]), /message\.entries has 3 fields/],
    ['entry data not bytes', withMessageField(6, [1, 2, 0, 'text']), /entry\.data is a string, expected bytes/],
    ['reject not a boolean', withMessageField(9, 1), /message\.reject/],
    ['snapshot too short', withMessageField(8, [new Uint8Array(0)]), /message\.snapshot has 1 fields/],
    ['submit envelope not bytes', packr.pack([FrameKind.Submit, 'c', 1, 'x']), /submit\.envelope/],
    ['submit result message too long', packr.pack([FrameKind.SubmitResult, 1, 'X', 'm'.repeat(5000)]), /submitResult\.errorMessage is 5000 characters/],
    ['submit batch without envelopes', packr.pack([FrameKind.SubmitBatch, 'c', 1, []]), /submitBatch\.envelopes has 0 fields/],
    ['submit batch envelope not bytes', packr.pack([FrameKind.SubmitBatch, 'c', 1, [new Uint8Array(1), 'x']]), /submitBatch\.envelopes\[\] is a string/],
    [
      'submit batch too long',
      packr.pack([FrameKind.SubmitBatch, 'c', 1, Array.from({ length: 1025 }, () => new Uint8Array(0))]),
      /1025 envelopes, at most 1024/,
    ],
    [
      'submit batch ids past 2^53',
      packr.pack([FrameKind.SubmitBatch, 'c', 2 ** 53 - 1, [new Uint8Array(1), new Uint8Array(1)]]),
      /firstRequestId \+ envelopes/,
    ],
    ['submit results range past 2^53', packr.pack([FrameKind.SubmitResults, [2 ** 53 - 1, 2], []]), /accepted\.first \+ count passes/],
    ['submit results range of 0', packr.pack([FrameKind.SubmitResults, [5, 0], []]), /accepted\.count is 0/],
    ['submit results odd ranges', packr.pack([FrameKind.SubmitResults, [5], []]), /accepted has 1 fields, not \[first, count\] pairs/],
    ['submit results rejection without code', packr.pack([FrameKind.SubmitResults, [], [5, '', 'm']]), /rejected\.errorCode is empty/],
    ['submit results rejection cut short', packr.pack([FrameKind.SubmitResults, [], [5, 'X']]), /rejected has 2 fields/],
  ];

  test.each(cases)('%s', (_name, bytes, message) => {
    expect(() => decodeFrame(bytes)).toThrow(ClusterFrameError);
    expect(() => decodeFrame(bytes)).toThrow(message);
  });

  test('the unmodified frame decodes (the cases above differ from it only in the named field)', () => {
    expect(decodeFrame(good).kind).toBe(FrameKind.Consensus);
    expect(decodeFrame(withMessageField(3, 5)).kind).toBe(FrameKind.Consensus);
  });
});

describe("each engine's msgpackr build", () => {
  const nativeFree = frameCodec('native-free');
  const native = frameCodec('native');
  const frames: Frame[] = [
    ...messageTypes.map((type): Frame => ({ kind: FrameKind.Consensus, channel: 'mychannel', message: sample(type) })),
    { kind: FrameKind.Hello, protocolVersion: CLUSTER_PROTOCOL_VERSION, from: 1, to: 2 },
    { kind: FrameKind.Submit, channel: 'c'.repeat(249), requestId: 7, envelope: new Uint8Array(300).fill(5) },
    // Long non-ASCII strings in a frame over 140 bytes: what the add-on decodes when it is on.
    { kind: FrameKind.SubmitResult, requestId: 8, errorCode: 'SERVICE_UNAVAILABLE', errorMessage: 'é€'.repeat(300) },
  ];

  test('native-free decodes in pure JavaScript, native with msgpackr-extract (installed with this package)', () => {
    expect(native.nativeAcceleration).toBe(true);
    // Built after the native codec in this same process: its msgpackr copy stays pure.
    expect(nativeFree.nativeAcceleration).toBe(false);
  });

  test('both put the same bytes on the wire and decode each other', () => {
    for (const frame of frames) {
      const bytes = nativeFree.encodeFrame(frame);
      expect(Buffer.compare(native.encodeFrame(frame), bytes)).toBe(0);
      expect(plain(native.decodeFrame(bytes))).toEqual(plain(frame));
      expect(plain(nativeFree.decodeFrame(bytes))).toEqual(plain(frame));
    }
    const message = Buffer.concat(frames.map((f) => native.encodeFrame(f)));
    expect(plain(nativeFree.decodeFrames(message))).toEqual(plain(frames));
    expect(plain(native.decodeFrames(message))).toEqual(plain(frames));
  });

  test('both refuse a truncated message naming it', () => {
    const message = Buffer.concat(frames.slice(-2).map((f) => nativeFree.encodeFrame(f)));
    for (const codec of [native, nativeFree]) {
      expect(() => codec.decodeFrames(message.subarray(0, message.length - 5))).toThrow(/not a sequence of valid msgpack frames/);
    }
  });
});
