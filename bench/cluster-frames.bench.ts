// Cluster frame encode/decode: our tuple codec (src/cluster/frames.ts, with
// its field checks on decode; each engine's msgpackr build) against msgpackr's plain object encoding and
// msgpackr records (shared structures, best case: one Packr on both ends),
// for the frames the transport carries most: heartbeats, MsgApp with one
// 1 KiB entry, MsgApp with one 1 MiB block, and a forwarded 1 KiB envelope.
//
//   npm run bench:frames [-- --time-ms=500]
//
// Single core, main thread. Figures depend on machine load (printed with them).

import { Bench } from 'tinybench';
// The pure-JS entry point: msgpackr's main one would switch the native-free codec's copy to the add-on too.
import { Packr } from 'msgpackr/pack';
import { FrameKind, frameCodec, type Frame } from '../src/cluster/index.js';
import { EntryType, MessageType, type Message } from '../src/raft/index.js';
import { numberFlag } from './lib/flags.js';
import { describeMachine } from './lib/machine.js';

function message(type: MessageType, entryBytes: number[]): Message {
  return {
    type,
    to: 2,
    from: 1,
    term: 7,
    logTerm: 7,
    index: 123_456,
    entries: entryBytes.map((bytes, i) => ({ term: 7, index: 123_457 + i, type: EntryType.Normal, data: new Uint8Array(bytes).fill(i + 1) })),
    commit: 123_450,
    reject: false,
    rejectHint: 0,
  };
}

const FRAMES: ReadonlyArray<[string, Frame]> = [
  ['heartbeat', { kind: FrameKind.Consensus, channel: 'mychannel', message: message(MessageType.MsgHeartbeat, []) }],
  ['MsgApp 1x1KiB', { kind: FrameKind.Consensus, channel: 'mychannel', message: message(MessageType.MsgApp, [1024]) }],
  ['MsgApp 1x1MiB', { kind: FrameKind.Consensus, channel: 'mychannel', message: message(MessageType.MsgApp, [1024 * 1024]) }],
  ['submit 1KiB', { kind: FrameKind.Submit, channel: 'mychannel', requestId: 42, envelope: new Uint8Array(1024).fill(3) }],
  ['refusal 1000 chars', { kind: FrameKind.SubmitResult, requestId: 42, errorCode: 'SERVICE_UNAVAILABLE', errorMessage: 'é'.repeat(1000) }],
];

interface Codec {
  readonly name: string;
  readonly encode: (frame: Frame) => Uint8Array;
  readonly decode: (bytes: Uint8Array) => unknown;
}

const plain = new Packr({ useRecords: false });
const records = new Packr({ structures: [] });
const CODECS: readonly Codec[] = [
  { name: 'tuple (ours, native-free)', encode: frameCodec('native-free').encodeFrame, decode: frameCodec('native-free').decodeFrame },
  { name: 'tuple (ours, native)', encode: frameCodec('native').encodeFrame, decode: frameCodec('native').decodeFrame },
  { name: 'msgpackr object', encode: (f) => plain.pack(f), decode: (b) => plain.unpack(b) },
  { name: 'msgpackr records', encode: (f) => records.pack(f), decode: (b) => records.unpack(b) },
];

async function main(): Promise<void> {
  const timeMs = numberFlag('time-ms', { fallback: 500, min: 50, max: 60_000 });
  const bench = new Bench({ time: timeMs, warmupTime: Math.min(200, timeMs / 4) });
  const sizes = new Map<string, number>();
  for (const [frameName, frame] of FRAMES) {
    for (const codec of CODECS) {
      const encoded = codec.encode(frame);
      sizes.set(`${frameName}|${codec.name}`, encoded.length);
      // Sanity: the codec really round-trips this frame before it is timed.
      if (codec.decode(encoded) === undefined) throw new Error(`${codec.name} does not decode ${frameName}`);
      bench.add(`encode|${frameName}|${codec.name}`, () => {
        codec.encode(frame);
      });
      bench.add(`decode|${frameName}|${codec.name}`, () => {
        codec.decode(encoded);
      });
    }
  }
  await bench.run();
  const rows: Record<string, string | number>[] = [];
  for (const [frameName] of FRAMES) {
    for (const codec of CODECS) {
      const ops = (op: string) => {
        const result = bench.getTask(`${op}|${frameName}|${codec.name}`)!.result;
        if (result.state !== 'completed') throw new Error(`${op} ${frameName} ${codec.name} ended ${result.state}`);
        return Math.round(result.throughput.mean).toLocaleString('en-US');
      };
      rows.push({ frame: frameName, codec: codec.name, bytes: sizes.get(`${frameName}|${codec.name}`)!, 'encode/s': ops('encode'), 'decode/s': ops('decode') });
    }
  }
  console.log(`machine: ${describeMachine()}`);
  console.log(`single core (main thread), ${timeMs} ms per task; other processes on the machine depress these figures\n`);
  console.table(rows);
}

await main();
