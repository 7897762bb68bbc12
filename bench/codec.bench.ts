// Figures behind the block codec choice: the per-envelope hot path (must stay
// under 5 µs) with our zero-copy reader against the two libraries at hand,
// @hyperledger/fabric-protos (google-protobuf) and protobufjs; per-block decode
// and re-encode; header + data hash per block, both engines. Inputs are the
// Fabric sample ledgers under test/fixtures/fabric.
//
//   npm run bench:codec [-- --time-ms=500]
//
// Main thread, one core; about 10 tasks x (time + warm-up), ~10 s by default.
// Figures depend on machine load, printed with them.

import { common, msp } from '@hyperledger/fabric-protos';
import protobuf from 'protobufjs';
import { Bench } from 'tinybench';
import { decodeBlock, encodeBlock } from '../src/block/index.js';
import { decodeChannelHeader, decodeEnvelope, decodePayload, decodeSerializedIdentity, decodeSignatureHeader } from '../src/block/index.js';
import { readEnvelopeFields } from '../src/block/index.js';
import { dataHash, headerHash } from '../src/block/index.js';
import { createCryptoProvider } from '../src/crypto/index.js';
import { ledgerBadDir, ledgerSampleDir, readLedgerBlocks } from './lib/fabricLedger.js';
import { numberFlag } from './lib/flags.js';
import { describeMachine } from './lib/machine.js';

const TIME_MS_DEFAULT = 800;

const blocks = [...readLedgerBlocks(ledgerSampleDir), ...readLedgerBlocks(ledgerBadDir)].map((b) => new Uint8Array(Buffer.from(b)));
const envelopes = blocks.flatMap((b) => decodeBlock(b).data).filter((e) => readEnvelopeFields(e).creator.length > 0);
let i = 0;
const nextEnvelope = (): Uint8Array => envelopes[i++ % envelopes.length]!;
const nextBlock = (): Uint8Array => blocks[i++ % blocks.length]!;

const pbjs = protobuf.parse(`syntax = "proto3"; package p;
message Envelope { bytes payload = 1; bytes signature = 2; }
message Payload { Header header = 1; bytes data = 2; }
message Header { bytes channel_header = 1; bytes signature_header = 2; }
message ChannelHeader { int32 type = 1; int32 version = 2; string channel_id = 4; string tx_id = 5; uint64 epoch = 6; bytes extension = 7; bytes tls_cert_hash = 8; }
message SignatureHeader { bytes creator = 1; bytes nonce = 2; }
message SerializedIdentity { string mspid = 1; bytes id_bytes = 2; }
message Block { BlockHeader header = 1; BlockData data = 2; BlockMetadata metadata = 3; }
message BlockHeader { uint64 number = 1; bytes previous_hash = 2; bytes data_hash = 3; }
message BlockData { repeated bytes data = 1; }
message BlockMetadata { repeated bytes metadata = 1; }`).root;
const pbjsType = (name: string): protobuf.Type => pbjs.lookupType(`p.${name}`);
const [E, P, C, S, I, B] = ['Envelope', 'Payload', 'ChannelHeader', 'SignatureHeader', 'SerializedIdentity', 'Block'].map(pbjsType) as [
  protobuf.Type,
  protobuf.Type,
  protobuf.Type,
  protobuf.Type,
  protobuf.Type,
  protobuf.Type,
];

/** Results go here so that no decode is optimised away. */
export let sink: unknown;

type Group = [title: string, tasks: [name: string, fn: () => void][]];

const groups: Group[] = [
  [
    'per envelope: channel id, type, tx id, creator, payload, signature',
    [
      [
        'readEnvelopeFields (ours, zero-copy)',
        () => {
          sink = readEnvelopeFields(nextEnvelope());
        },
      ],
      [
        'full codec chain (ours)',
        () => {
          const env = decodeEnvelope(nextEnvelope());
          const header = decodePayload(env.payload).header!;
          const ch = decodeChannelHeader(header.channelHeader);
          sink = [ch, decodeSerializedIdentity(decodeSignatureHeader(header.signatureHeader).creator), env.signature];
        },
      ],
      [
        '@hyperledger/fabric-protos (google-protobuf)',
        () => {
          const env = common.Envelope.deserializeBinary(nextEnvelope());
          const header = common.Payload.deserializeBinary(env.getPayload_asU8()).getHeader()!;
          const ch = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
          const id = msp.SerializedIdentity.deserializeBinary(common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8()).getCreator_asU8());
          sink = [ch.getChannelId(), ch.getType(), ch.getTxId(), id.getMspid(), id.getIdBytes_asU8(), env.getSignature_asU8()];
        },
      ],
      [
        'protobufjs (reflection + generated code)',
        () => {
          const env = E.decode(nextEnvelope()) as unknown as { payload: Uint8Array; signature: Uint8Array };
          const header = (P.decode(env.payload) as unknown as { header: { channelHeader: Uint8Array; signatureHeader: Uint8Array } }).header;
          const ch = C.decode(header.channelHeader);
          const sh = S.decode(header.signatureHeader) as unknown as { creator: Uint8Array };
          sink = [ch, I.decode(sh.creator), env.signature];
        },
      ],
    ],
  ],
  [
    'per block (~4 KiB, 1 envelope): decode + re-encode',
    [
      [
        'ours',
        () => {
          sink = encodeBlock(decodeBlock(nextBlock()));
        },
      ],
      [
        '@hyperledger/fabric-protos',
        () => {
          sink = common.Block.deserializeBinary(nextBlock()).serializeBinary();
        },
      ],
      [
        'protobufjs',
        () => {
          sink = B.encode(B.decode(nextBlock())).finish();
        },
      ],
    ],
  ],
  [
    'per block: header hash + data hash (SHA-256)',
    (['native', 'native-free'] as const).map((engine): [string, () => void] => {
      const hasher = createCryptoProvider(engine).hasher('sha256');
      return [
        engine,
        () => {
          const block = decodeBlock(nextBlock());
          sink = [headerHash(hasher, block.header), dataHash(hasher, block.data)];
        },
      ];
    }),
  ],
];

async function main(): Promise<void> {
  const timeMs = numberFlag('time-ms', { fallback: TIME_MS_DEFAULT, min: 50, max: 5_000 });
  const rows: Record<string, string | number>[] = [];
  for (const [title, tasks] of groups) {
    const bench = new Bench({ time: timeMs, warmupTime: Math.min(200, timeMs / 4) });
    for (const [name, fn] of tasks) bench.add(name, fn);
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result;
      if (result.state !== 'completed') throw new Error(`task ${task.name} ended ${result.state}`);
      rows.push({
        group: title,
        task: task.name,
        'ops/s': Math.round(result.throughput.mean).toLocaleString('en-US'),
        'mean µs': (result.latency.mean * 1e3).toFixed(2),
        'p50 µs': (result.latency.p50 * 1e3).toFixed(2),
      });
    }
  }
  console.log(`machine: ${describeMachine()} (other processes depress these figures)`);
  console.log(`${envelopes.length} envelopes and ${blocks.length} blocks from the Fabric sample ledgers, cycled; ${timeMs} ms per task\n`);
  console.table(rows);
}

await main();
