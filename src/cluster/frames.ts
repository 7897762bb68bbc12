// The frames of the `orderer.Cluster/Step` stream and their msgpackr codec.
//
// One gRPC message carries one or more frames back to back (the sender
// coalesces what it queued in one turn of the event loop: gRPC's cost is per
// message, not per byte). On the wire a frame is a msgpack array (a tuple), not a map: keys are not
// repeated in every heartbeat, and the decoder checks each position's type
// before anything reaches Raft — a peer is authenticated, not trusted to be
// bug-free. bench/cluster-frames.bench.ts compares this with msgpackr's plain
// object encoding.
//
// Buffers: decoded `Uint8Array` fields (entry data, snapshot data, envelopes)
// are views into the received frame, which therefore lives as long as they do.
// Encoded frames are fresh Buffers owned by the caller.
//
// Two msgpackr builds, chosen per engine (frameCodec): msgpackr's main entry
// point, on Node, loads the msgpackr-extract add-on (a native string decoder)
// when it is installed and switches every decoder of that module copy to it.
// Its `msgpackr/pack` entry point is the same code without that loader: pure
// JavaScript. The native-free engine decodes with the latter (this module
// never imports the main entry point); the native engine requires the main
// entry point's CommonJS build, a separate copy of msgpackr, so turning the
// add-on on there leaves the pure copy pure, even in one process.

import { createRequire } from 'node:module';
import * as msgpackrPure from 'msgpackr/pack';
import { EntryType, MessageType, type ConfState, type Entry, type Message, type Snapshot } from '../raft/index.js';
import { ClusterFrameError } from './errors.js';

/**
 * Bumped on any incompatible change of the tuples below. A node dials with
 * this version (it forwards envelopes in SubmitBatch frames) and accepts
 * dialers of CLUSTER_PROTOCOL_VERSIONS_ACCEPTED: a version-1 dialer (one
 * Submit frame per envelope) is answered one SubmitResult per envelope.
 */
export const CLUSTER_PROTOCOL_VERSION = 2;
export const CLUSTER_PROTOCOL_VERSIONS_ACCEPTED: readonly number[] = [1, 2];

/** Envelopes in one SubmitBatch frame, at most (the decoder refuses more). */
export const SUBMIT_BATCH_ENVELOPES_MAX = 1024;
/** Entries of a SubmitResults frame's lists, at most: accepted ranges, rejections. */
export const SUBMIT_RESULTS_ITEMS_MAX = 65_536;

/** Fabric's limit on channel name length (configtx validation). */
export const CHANNEL_NAME_CHARS_MAX = 249;
/** A rejection text longer than this is cut: it is for logs and the client's info field. */
export const ERROR_MESSAGE_CHARS_MAX = 1024;

export enum FrameKind {
  /** First frame of every outgoing stream: who the dialer claims to be (checked against its TLS key). */
  Hello = 0,
  /** The listener accepted the Hello: the stream is established. */
  Welcome = 1,
  Consensus = 2,
  /** One forwarded envelope (protocol 1). */
  Submit = 3,
  /** The verdict on one Submit (answers protocol-1 dialers). */
  SubmitResult = 4,
  /** Forwarded envelopes of one channel, request ids consecutive from the first (protocol 2). */
  SubmitBatch = 5,
  /** Verdicts on SubmitBatch envelopes: ranges of accepted request ids and the rejections. */
  SubmitResults = 6,
}

export interface HelloFrame {
  readonly kind: FrameKind.Hello;
  readonly protocolVersion: number;
  /** Consenter id of the dialer. */
  readonly from: number;
  /** Consenter id the dialer believes it reached (catches mis-wired addresses). */
  readonly to: number;
}

export interface WelcomeFrame {
  readonly kind: FrameKind.Welcome;
}

export interface ConsensusFrame {
  readonly kind: FrameKind.Consensus;
  readonly channel: string;
  readonly message: Message;
}

export interface SubmitFrame {
  readonly kind: FrameKind.Submit;
  readonly channel: string;
  /** Unique per outgoing stream; the SubmitResult answering it carries it back. */
  readonly requestId: number;
  readonly envelope: Uint8Array;
}

export interface SubmitResultFrame {
  readonly kind: FrameKind.SubmitResult;
  readonly requestId: number;
  /** '' when the leader accepted the envelope; otherwise the code of its OrdererError. */
  readonly errorCode: string;
  readonly errorMessage: string;
}

export interface SubmitBatchFrame {
  readonly kind: FrameKind.SubmitBatch;
  readonly channel: string;
  /** Request id of envelopes[0]; envelopes[i] is request firstRequestId + i (unique per outgoing stream). */
  readonly firstRequestId: number;
  /** 1..SUBMIT_BATCH_ENVELOPES_MAX envelopes. */
  readonly envelopes: readonly Uint8Array[];
}

/** A rejected forwarded envelope of a SubmitBatch. */
export interface SubmitRejection {
  readonly requestId: number;
  /** The code of the leader's OrdererError (never ''). */
  readonly errorCode: string;
  readonly errorMessage: string;
}

export interface SubmitResultsFrame {
  readonly kind: FrameKind.SubmitResults;
  /** Accepted request ids as [first, count] ranges (count >= 1). */
  readonly accepted: readonly (readonly [first: number, count: number])[];
  readonly rejected: readonly SubmitRejection[];
}

export type Frame = HelloFrame | WelcomeFrame | ConsensusFrame | SubmitFrame | SubmitResultFrame | SubmitBatchFrame | SubmitResultsFrame;

/** The engines of the node (as storage and crypto name them): which msgpackr build the frames use. */
export type FrameEngine = 'native' | 'native-free';

/** Encodes and decodes frames with one msgpackr build; the same bytes on the wire whichever. */
export interface FrameCodec {
  /** True when msgpackr-extract's native add-on decodes this codec's strings. */
  readonly nativeAcceleration: boolean;
  encodeFrame(frame: Frame): Buffer;
  /** Decodes one received frame; throws ClusterFrameError naming the first bad field. */
  decodeFrame(bytes: Uint8Array): Frame;
  /**
   * Decodes a gRPC message of one or more frames back to back (`Buffer.concat`
   * of encoded frames). All or nothing: one bad frame refuses the message.
   */
  decodeFrames(bytes: Uint8Array): Frame[];
}

// useRecords off: records would embed structure definitions that both sides
// must agree on; the tuples already carry no keys.
const PACKR_OPTIONS = { useRecords: false, mapsAsObjects: true } as const;

/** A msgpackr module copy: its Packr and its (live) add-on flag, which `msgpackr/pack`'s type declarations omit. */
type MsgpackrCopy = Pick<typeof import('msgpackr'), 'Packr' | 'isNativeAccelerationEnabled'>;

function codecOf(copy: MsgpackrCopy): FrameCodec {
  const packr = new copy.Packr(PACKR_OPTIONS);
  return {
    get nativeAcceleration() {
      return copy.isNativeAccelerationEnabled;
    },
    encodeFrame: (frame) => packr.pack(frameToTuple(frame)),
    decodeFrame(bytes) {
      let tuple: unknown;
      try {
        tuple = packr.unpack(bytes);
      } catch (cause) {
        throw new ClusterFrameError(`frame of ${bytes.length} bytes is not valid msgpack`, { cause });
      }
      return tupleToFrame(tuple);
    },
    decodeFrames(bytes) {
      let tuples: unknown[];
      try {
        tuples = packr.unpackMultiple(bytes) as unknown[];
      } catch (cause) {
        throw new ClusterFrameError(`message of ${bytes.length} bytes is not a sequence of valid msgpack frames`, { cause });
      }
      if (tuples.length === 0) throw new ClusterFrameError('message holds no frame');
      return tuples.map(tupleToFrame);
    },
  };
}

const pureCodec = codecOf(msgpackrPure as unknown as MsgpackrCopy);
let nativeCodec: FrameCodec | undefined;

/**
 * The frame codec of an engine: native-free decodes in pure JavaScript and
 * loads no add-on; native uses msgpackr's Node build, loaded on first use,
 * with msgpackr-extract's add-on when it is installed.
 */
export function frameCodec(engine: FrameEngine): FrameCodec {
  if (engine === 'native-free') return pureCodec;
  nativeCodec ??= codecOf(createRequire(import.meta.url)('msgpackr') as MsgpackrCopy);
  return nativeCodec;
}

/** The pure-JavaScript codec's functions, for callers outside a transport (tests, benches). */
export const { encodeFrame, decodeFrame, decodeFrames } = pureCodec;

function frameToTuple(frame: Frame): unknown[] {
  switch (frame.kind) {
    case FrameKind.Hello:
      return [FrameKind.Hello, frame.protocolVersion, frame.from, frame.to];
    case FrameKind.Welcome:
      return [FrameKind.Welcome];
    case FrameKind.Consensus:
      return [FrameKind.Consensus, frame.channel, messageToTuple(frame.message)];
    case FrameKind.Submit:
      return [FrameKind.Submit, frame.channel, frame.requestId, frame.envelope];
    case FrameKind.SubmitResult:
      return [FrameKind.SubmitResult, frame.requestId, frame.errorCode, frame.errorMessage];
    case FrameKind.SubmitBatch:
      return [FrameKind.SubmitBatch, frame.channel, frame.firstRequestId, frame.envelopes];
    case FrameKind.SubmitResults:
      return [FrameKind.SubmitResults, frame.accepted.flat(), frame.rejected.flatMap((r) => [r.requestId, r.errorCode, r.errorMessage])];
  }
}

function tupleToFrame(tuple: unknown): Frame {
  const t = array(tuple, 'frame', 1);
  const kind = t[0];
  switch (kind) {
    case FrameKind.Hello:
      expectLength(t, 4, 'hello frame');
      return { kind, protocolVersion: uint(t[1], 'hello.protocolVersion'), from: uint(t[2], 'hello.from'), to: uint(t[3], 'hello.to') };
    case FrameKind.Welcome:
      expectLength(t, 1, 'welcome frame');
      return { kind };
    case FrameKind.Consensus:
      expectLength(t, 3, 'consensus frame');
      return { kind, channel: channelName(t[1]), message: tupleToMessage(t[2]) };
    case FrameKind.Submit:
      expectLength(t, 4, 'submit frame');
      return { kind, channel: channelName(t[1]), requestId: uint(t[2], 'submit.requestId'), envelope: bytes(t[3], 'submit.envelope') };
    case FrameKind.SubmitResult:
      expectLength(t, 4, 'submitResult frame');
      return {
        kind,
        requestId: uint(t[1], 'submitResult.requestId'),
        errorCode: text(t[2], 'submitResult.errorCode', 64),
        errorMessage: text(t[3], 'submitResult.errorMessage', ERROR_MESSAGE_CHARS_MAX),
      };
    case FrameKind.SubmitBatch: {
      expectLength(t, 4, 'submitBatch frame');
      const firstRequestId = uint(t[2], 'submitBatch.firstRequestId');
      const list = array(t[3], 'submitBatch.envelopes', 1);
      if (list.length > SUBMIT_BATCH_ENVELOPES_MAX) {
        throw new ClusterFrameError(`submitBatch.envelopes has ${list.length} envelopes, at most ${SUBMIT_BATCH_ENVELOPES_MAX} allowed`);
      }
      if (firstRequestId > Number.MAX_SAFE_INTEGER - (list.length - 1)) {
        throw new ClusterFrameError(`submitBatch.firstRequestId + envelopes passes 2^53 - 1 (first ${firstRequestId}, ${list.length} envelopes)`);
      }
      const envelopes = new Array<Uint8Array>(list.length);
      for (let i = 0; i < list.length; i++) envelopes[i] = bytes(list[i], 'submitBatch.envelopes[]');
      return { kind, channel: channelName(t[1]), firstRequestId, envelopes };
    }
    case FrameKind.SubmitResults:
      expectLength(t, 3, 'submitResults frame');
      return { kind, accepted: acceptedRanges(t[1]), rejected: rejections(t[2]) };
    default:
      throw new ClusterFrameError(`frame kind ${String(kind)} is unknown`);
  }
}

function acceptedRanges(value: unknown): [number, number][] {
  const flat = array(value, 'submitResults.accepted', 0);
  if (flat.length % 2 !== 0) throw new ClusterFrameError(`submitResults.accepted has ${flat.length} fields, not [first, count] pairs`);
  if (flat.length / 2 > SUBMIT_RESULTS_ITEMS_MAX)
    throw new ClusterFrameError(`submitResults.accepted has ${flat.length / 2} ranges, at most ${SUBMIT_RESULTS_ITEMS_MAX}`);
  const ranges = new Array<[number, number]>(flat.length / 2);
  for (let i = 0; i < ranges.length; i++) {
    const first = uint(flat[2 * i], 'submitResults.accepted.first');
    const count = uint(flat[2 * i + 1], 'submitResults.accepted.count');
    if (count === 0 || count > SUBMIT_RESULTS_ITEMS_MAX)
      throw new ClusterFrameError(`submitResults.accepted.count is ${count}, expected 1..${SUBMIT_RESULTS_ITEMS_MAX}`);
    if (first > Number.MAX_SAFE_INTEGER - (count - 1))
      throw new ClusterFrameError(`submitResults.accepted.first + count passes 2^53 - 1 (first ${first}, count ${count})`);
    ranges[i] = [first, count];
  }
  return ranges;
}

function rejections(value: unknown): SubmitRejection[] {
  const flat = array(value, 'submitResults.rejected', 0);
  if (flat.length % 3 !== 0) throw new ClusterFrameError(`submitResults.rejected has ${flat.length} fields, not [requestId, errorCode, errorMessage] triples`);
  if (flat.length / 3 > SUBMIT_RESULTS_ITEMS_MAX)
    throw new ClusterFrameError(`submitResults.rejected has ${flat.length / 3} rejections, at most ${SUBMIT_RESULTS_ITEMS_MAX}`);
  const out = new Array<SubmitRejection>(flat.length / 3);
  for (let i = 0; i < out.length; i++) {
    const errorCode = text(flat[3 * i + 1], 'submitResults.rejected.errorCode', 64);
    if (errorCode === '') throw new ClusterFrameError('submitResults.rejected.errorCode is empty');
    out[i] = {
      requestId: uint(flat[3 * i], 'submitResults.rejected.requestId'),
      errorCode,
      errorMessage: text(flat[3 * i + 2], 'submitResults.rejected.errorMessage', ERROR_MESSAGE_CHARS_MAX),
    };
  }
  return out;
}

// Message tuple: [type, to, from, term, logTerm, index, entries, commit,
// snapshot | null, reject, rejectHint, context | null]; entries flattened as
// [term, index, type, data, term, index, type, data, ...].
const ENTRY_FIELDS = 4;

function messageToTuple(m: Message): unknown[] {
  const entries: unknown[] = new Array(m.entries.length * ENTRY_FIELDS);
  let at = 0;
  for (const e of m.entries) {
    entries[at++] = e.term;
    entries[at++] = e.index;
    entries[at++] = e.type;
    entries[at++] = e.data;
  }
  const snapshot = m.snapshot === undefined ? null : snapshotToTuple(m.snapshot);
  const context = m.context === undefined ? null : m.context;
  return [m.type, m.to, m.from, m.term, m.logTerm, m.index, entries, m.commit, snapshot, m.reject, m.rejectHint, context];
}

function tupleToMessage(value: unknown): Message {
  const t = array(value, 'message', 12);
  expectLength(t, 12, 'message');
  const message: Message = {
    type: enumValue(t[0], MessageType.MsgForgetLeader, 'message.type') as MessageType,
    to: uint(t[1], 'message.to'),
    from: uint(t[2], 'message.from'),
    term: uint(t[3], 'message.term'),
    logTerm: uint(t[4], 'message.logTerm'),
    index: uint(t[5], 'message.index'),
    entries: tupleToEntries(t[6]),
    commit: uint(t[7], 'message.commit'),
    snapshot: t[8] === null ? undefined : tupleToSnapshot(t[8]),
    reject: bool(t[9], 'message.reject'),
    rejectHint: uint(t[10], 'message.rejectHint'),
    context: t[11] === null ? undefined : bytes(t[11], 'message.context'),
  };
  return message;
}

function tupleToEntries(value: unknown): Entry[] {
  const flat = array(value, 'message.entries', 0);
  if (flat.length % ENTRY_FIELDS !== 0) throw new ClusterFrameError(`message.entries has ${flat.length} fields, not a multiple of ${ENTRY_FIELDS}`);
  const entries: Entry[] = new Array(flat.length / ENTRY_FIELDS);
  for (let i = 0, at = 0; at < flat.length; i++, at += ENTRY_FIELDS) {
    entries[i] = {
      term: uint(flat[at], 'entry.term'),
      index: uint(flat[at + 1], 'entry.index'),
      type: enumValue(flat[at + 2], EntryType.ConfChangeV2, 'entry.type') as EntryType,
      data: bytes(flat[at + 3], 'entry.data'),
    };
  }
  return entries;
}

function snapshotToTuple(s: Snapshot): unknown[] {
  const c = s.metadata.confState;
  return [s.data, s.metadata.index, s.metadata.term, c.voters, c.learners, c.votersOutgoing, c.learnersNext, c.autoLeave];
}

function tupleToSnapshot(value: unknown): Snapshot {
  const t = array(value, 'message.snapshot', 8);
  expectLength(t, 8, 'message.snapshot');
  const confState: ConfState = {
    voters: ids(t[3], 'snapshot.voters'),
    learners: ids(t[4], 'snapshot.learners'),
    votersOutgoing: ids(t[5], 'snapshot.votersOutgoing'),
    learnersNext: ids(t[6], 'snapshot.learnersNext'),
    autoLeave: bool(t[7], 'snapshot.autoLeave'),
  };
  return { data: bytes(t[0], 'snapshot.data'), metadata: { confState, index: uint(t[1], 'snapshot.index'), term: uint(t[2], 'snapshot.term') } };
}

// ---- field checks: each names the field it rejects ----

function array(value: unknown, what: string, minLength: number): unknown[] {
  if (!Array.isArray(value)) throw new ClusterFrameError(`${what} is not an array`);
  if (value.length < minLength) throw new ClusterFrameError(`${what} has ${value.length} fields, expected at least ${minLength}`);
  return value;
}

function expectLength(t: unknown[], length: number, what: string): void {
  if (t.length !== length) throw new ClusterFrameError(`${what} has ${t.length} fields, expected ${length}`);
}

function uint(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ClusterFrameError(`${what} is ${describe(value)}, expected a non-negative safe integer`);
  }
  return value;
}

function enumValue(value: unknown, max: number, what: string): number {
  const n = uint(value, what);
  if (n > max) throw new ClusterFrameError(`${what} is ${n}, expected at most ${max}`);
  return n;
}

function bool(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new ClusterFrameError(`${what} is ${describe(value)}, expected a boolean`);
  return value;
}

function bytes(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new ClusterFrameError(`${what} is ${describe(value)}, expected bytes`);
  return value;
}

function text(value: unknown, what: string, charsMax: number): string {
  if (typeof value !== 'string') throw new ClusterFrameError(`${what} is ${describe(value)}, expected a string`);
  if (value.length > charsMax) throw new ClusterFrameError(`${what} is ${value.length} characters long, at most ${charsMax} allowed`);
  return value;
}

function channelName(value: unknown): string {
  const name = text(value, 'channel', CHANNEL_NAME_CHARS_MAX);
  if (name.length === 0) throw new ClusterFrameError('channel is empty');
  return name;
}

function ids(value: unknown, what: string): number[] {
  return array(value, what, 0).map((id) => uint(id, what));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `a string` : `${typeof value} ${String(value).slice(0, 32)}`;
}
