// The listening side against a hand-driven client holding a valid consenter
// certificate: what a well-authenticated but misbehaving (or buggy) peer may
// not do — ride frames along with Hello, aim at another node, speak another
// protocol version, speak for another consenter, send garbage, stay silent.

import { afterEach, expect, test } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { CLUSTER_PROTOCOL_VERSION, FrameKind, decodeFrames, encodeFrame } from '../../src/cluster/frames.js';
import { CLUSTER_STEP_PATH, passBytes } from '../../src/cluster/service.js';
import { OrdererError } from '../../src/errors.js';
import { RecordingHandler, TestPki, heartbeat, metricValue, startTransport, type TlsMaterial } from './fixtures.js';
import type { GrpcClusterTransport } from '../../src/cluster/transport.js';

const pki = new TestPki();
let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

interface Listener {
  readonly transport: GrpcClusterTransport;
  readonly handler: RecordingHandler;
  /** TLS material of consenter 2, pinned by the listener. */
  readonly peerTls: TlsMaterial;
}

async function listener(submitTimeoutMs = 5000): Promise<Listener> {
  const peerTls = pki.issueTls(2);
  const transport = await startTransport(pki, 1, pki.issueTls(1), { submitTimeoutMs });
  cleanups.push(() => transport.close());
  transport.updatePeers([{ id: 2, address: '127.0.0.1:1', tlsCertPem: peerTls.certPem }]);
  const handler = new RecordingHandler();
  transport.setHandler('ch1', handler);
  return { transport, handler, peerTls };
}

interface RawStream {
  readonly call: grpc.ClientDuplexStream<Buffer, Buffer>;
  readonly received: Buffer[];
  /** Resolves with the status the listener ended the stream with. */
  readonly status: Promise<grpc.StatusObject>;
}

function dial(port: number, tls: TlsMaterial): RawStream {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createSsl(Buffer.from(pki.caPem), Buffer.from(tls.keyPem), Buffer.from(tls.certPem)));
  const call = client.makeBidiStreamRequest(CLUSTER_STEP_PATH, passBytes, passBytes);
  const received: Buffer[] = [];
  call.on('data', (bytes: Buffer) => received.push(bytes));
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  // The listener ends misbehaving streams with an error status; 'status' carries it to the test.
  call.on('error', (error) => expect(error).toBeInstanceOf(Error));
  cleanups.push(() => {
    call.cancel();
    client.close();
  });
  return { call, received, status };
}

const hello = (from = 2, to = 1, protocolVersion = CLUSTER_PROTOCOL_VERSION) => encodeFrame({ kind: FrameKind.Hello, protocolVersion, from, to });

test('a Hello followed by its consenter speaking for itself is welcomed and delivered', async () => {
  const { transport, handler, peerTls } = await listener();
  const stream = dial(transport.port, peerTls);
  stream.call.write(hello());
  stream.call.write(
    Buffer.concat([
      encodeFrame({ kind: FrameKind.Consensus, channel: 'ch1', message: heartbeat(2, 1, 3) }),
      encodeFrame({ kind: FrameKind.Consensus, channel: 'ch1', message: heartbeat(2, 1, 4) }),
    ]),
  );
  await expect.poll(() => handler.consensus.length).toBe(2);
  expect(decodeFrames(stream.received[0]!)).toEqual([{ kind: FrameKind.Welcome }]);
  expect(handler.consensus.map((c) => c.message.term)).toEqual([3, 4]);
});

test.each([
  [
    'frames riding along with the Hello',
    () => Buffer.concat([hello(), encodeFrame({ kind: FrameKind.Consensus, channel: 'ch1', message: heartbeat(2, 1, 1) })]),
    grpc.status.INVALID_ARGUMENT,
    /must be a lone Hello frame/,
    'bad_hello',
  ],
  [
    'a first frame that is not Hello',
    () => encodeFrame({ kind: FrameKind.Consensus, channel: 'ch1', message: heartbeat(2, 1, 1) }),
    grpc.status.INVALID_ARGUMENT,
    /starting with kind 2/,
    'bad_hello',
  ],
  [
    'a Hello aimed at another consenter',
    () => hello(2, 7),
    grpc.status.PERMISSION_DENIED,
    /it meant to reach consenter 7, this is consenter 1/,
    'wrong_target',
  ],
  [
    'another protocol version',
    () => hello(2, 1, CLUSTER_PROTOCOL_VERSION + 1),
    grpc.status.FAILED_PRECONDITION,
    /speaks cluster protocol 3, this node 2 \(and takes 1, 2\)/,
    'protocol_version',
  ],
  ['an unknown consenter id', () => hello(5, 1), grpc.status.PERMISSION_DENIED, /consenter 5, which is not a configured consenter/, 'unknown_consenter'],
  ['garbage', () => Buffer.from([0x93, 0x01]), grpc.status.INVALID_ARGUMENT, /does not decode/, 'bad_hello'],
] as const)('refuses %s, naming why, and counts it', async (_name, first, code, details, reason) => {
  const { transport, handler, peerTls } = await listener();
  const stream = dial(transport.port, peerTls);
  stream.call.write(first());
  const status = await stream.status;
  expect(status.code).toBe(code);
  expect(status.details).toMatch(details);
  expect(handler.consensus).toEqual([]);
  expect(await metricValue(transport, 'cluster_comm_stream_refused_count', { direction: 'ingress', reason })).toBe(1);
});

test('a consenter speaking for another one after Hello has its stream ended', async () => {
  const { transport, handler, peerTls } = await listener();
  const stream = dial(transport.port, peerTls);
  stream.call.write(hello());
  stream.call.write(encodeFrame({ kind: FrameKind.Consensus, channel: 'ch1', message: heartbeat(3, 1, 1) }));
  const status = await stream.status;
  expect(status.code).toBe(grpc.status.PERMISSION_DENIED);
  expect(status.details).toContain('consensus message from 3 to 1 on the stream of consenter 2');
  expect(handler.consensus).toEqual([]);
});

test('garbage after Hello ends the stream; frames before it in the same message are not delivered', async () => {
  const { transport, handler, peerTls } = await listener();
  const stream = dial(transport.port, peerTls);
  stream.call.write(hello());
  stream.call.write(Buffer.concat([encodeFrame({ kind: FrameKind.Consensus, channel: 'ch1', message: heartbeat(2, 1, 1) }), Buffer.from([0x93, 0x01])]));
  const status = await stream.status;
  expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
  expect(status.details).toMatch(/bad frame/);
  expect(handler.consensus).toEqual([]);
});

test('a stream that never says Hello is ended after the handshake bound', async () => {
  const { transport, peerTls } = await listener(200);
  const stream = dial(transport.port, peerTls);
  // grpc-js opens the stream (headers) at once; the client writes nothing after that.
  const status = await stream.status;
  expect(status.code).toBe(grpc.status.DEADLINE_EXCEEDED);
  expect(status.details).toContain('no Hello within 200 ms');
});

/** Every frame the listener wrote back after its Welcome. */
function framesAfterWelcome(stream: RawStream) {
  return stream.received.flatMap((bytes) => decodeFrames(bytes)).filter((f) => f.kind !== FrameKind.Welcome);
}

test('a SubmitBatch is taken envelope by envelope and answered in one SubmitResults frame: accepted ranges and each rejection', async () => {
  const { transport, handler, peerTls } = await listener();
  handler.decide = (envelope) => (envelope[0] === 3 ? Promise.reject(new OrdererError('BAD_REQUEST', 'envelope 3 is malformed')) : Promise.resolve());
  const stream = dial(transport.port, peerTls);
  stream.call.write(hello());
  const envelopes = [1, 2, 3, 4, 5].map((i) => Uint8Array.of(i));
  stream.call.write(encodeFrame({ kind: FrameKind.SubmitBatch, channel: 'ch1', firstRequestId: 40, envelopes }));
  await expect.poll(() => framesAfterWelcome(stream).length).toBe(1);
  expect(handler.submits.map((s) => [s.from, s.envelope[0]])).toEqual([
    [2, 1],
    [2, 2],
    [2, 3],
    [2, 4],
    [2, 5],
  ]);
  expect(framesAfterWelcome(stream)).toEqual([
    {
      kind: FrameKind.SubmitResults,
      accepted: [
        [40, 2],
        [43, 2],
      ],
      rejected: [{ requestId: 42, errorCode: 'BAD_REQUEST', errorMessage: 'envelope 3 is malformed' }],
    },
  ]);
});

test('a dialer of protocol 1 (one Submit frame per envelope) is welcomed and answered one SubmitResult per envelope', async () => {
  const { transport, handler, peerTls } = await listener();
  handler.decide = (envelope) => (envelope[0] === 2 ? Promise.reject(new OrdererError('FORBIDDEN', 'no')) : Promise.resolve());
  const stream = dial(transport.port, peerTls);
  stream.call.write(hello(2, 1, 1));
  stream.call.write(
    Buffer.concat([
      encodeFrame({ kind: FrameKind.Submit, channel: 'ch1', requestId: 7, envelope: Uint8Array.of(1) }),
      encodeFrame({ kind: FrameKind.Submit, channel: 'ch1', requestId: 8, envelope: Uint8Array.of(2) }),
    ]),
  );
  await expect.poll(() => framesAfterWelcome(stream).length).toBe(2);
  expect(framesAfterWelcome(stream)).toEqual([
    { kind: FrameKind.SubmitResult, requestId: 7, errorCode: '', errorMessage: '' },
    { kind: FrameKind.SubmitResult, requestId: 8, errorCode: 'FORBIDDEN', errorMessage: 'no' },
  ]);
});
