// The harness follows commits over node:http2 (no grpc-js client): blocks
// arrive as (number, tx keys), a status answer ends the stream with that
// status, and a refused or broken stream rejects naming what happened.

import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ATOMIC_BROADCAST_SERVICE,
  createSignedEnvelope,
  encodeDeliverResponse,
  encodeSerializedIdentity,
  HeaderType,
  readDeliverRequest,
  SEEK_MAX,
  Status,
  type EnvelopeCreator,
} from '../../../src/block/index.js';
import { DeliverStreamError, deliverStream } from '../../../src/client/bench/deliverStream.js';
import { h2SessionSource } from '../../../src/client/bench/h2Session.js';
import { txKeyOf } from '../../../src/client/bench/txKey.js';
import { createCryptoProvider } from '../../../src/crypto/index.js';

const signer = createCryptoProvider('native').generateSigner('ecdsa-p256');
const creator: EnvelopeCreator = { signer, serializedIdentity: encodeSerializedIdentity({ mspid: 'Org1MSP', idBytes: new Uint8Array(8) }) };
const empty = new Uint8Array(0);
const txIds = ['aa'.repeat(32), 'bb'.repeat(32)];

let server: grpc.Server | undefined;
afterEach(() => server?.forceShutdown());

/** A server whose Deliver handler is `deliver`; returns its address. */
async function serve(deliver: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => void): Promise<string> {
  server = new grpc.Server();
  server.addService(ATOMIC_BROADCAST_SERVICE, { broadcast: () => undefined, deliver });
  const port = await new Promise<number>((resolve, reject) =>
    server!.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return `127.0.0.1:${port}`;
}

function blockAnswer(number: number, ids: readonly string[]): Buffer {
  const data = ids.map((txId) => createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: 'c', data: new Uint8Array(100), txId }));
  return Buffer.from(encodeDeliverResponse({ type: 'block', block: { header: { number, previousHash: empty, dataHash: empty }, data, metadata: [] } }));
}

const spec = (onBlock: (number: number, keys: number[]) => void, signal = new AbortController().signal) => ({
  channelId: 'c',
  creator,
  start: { type: 'specified', number: 5 } as const,
  stop: { type: 'specified', number: SEEK_MAX } as const,
  onBlock: (number: number, keys: Float64Array, count: number) => onBlock(number, Array.from(keys.subarray(0, count))),
  signal,
});

describe('deliverStream', () => {
  it('sends a signed seek for the channel, hands over each block as number and tx keys, and resolves with the closing status', async () => {
    let seekChannel = '';
    const address = await serve((call) => {
      call.once('data', (request: Buffer) => {
        seekChannel = readDeliverRequest(request).fields.channelId;
        call.write(blockAnswer(5, txIds));
        call.write(blockAnswer(6, []));
        call.write(Buffer.from(encodeDeliverResponse({ type: 'status', status: Status.NOT_FOUND })));
        call.end();
      });
    });
    const source = h2SessionSource(address, undefined, undefined);
    const blocks: [number, number[]][] = [];
    try {
      const status = await deliverStream(
        source,
        spec((number, ids) => blocks.push([number, ids])),
      );
      expect(status).toBe(Status.NOT_FOUND);
    } finally {
      source.close();
    }
    expect(seekChannel).toBe('c');
    expect(blocks).toEqual([
      [5, txIds.map(txKeyOf)],
      [6, []],
    ]);
  });

  it('rejects naming the gRPC status when the server fails the call', async () => {
    const address = await serve((call) => call.once('data', () => call.emit('error', { code: grpc.status.PERMISSION_DENIED, details: 'not a member' })));
    const source = h2SessionSource(address, undefined, undefined);
    try {
      await expect(
        deliverStream(
          source,
          spec(() => undefined),
        ),
      ).rejects.toThrow(/gRPC status 7: not a member/);
    } finally {
      source.close();
    }
  });

  it('rejects when the stream ends without a status, and when aborted', async () => {
    const address = await serve((call) => {
      call.once('data', () => {
        call.write(blockAnswer(5, txIds));
        call.end();
      });
    });
    const source = h2SessionSource(address, undefined, undefined);
    try {
      await expect(
        deliverStream(
          source,
          spec(() => undefined),
        ),
      ).rejects.toThrow(/ended without a status/);
      const aborter = new AbortController();
      const following = deliverStream(
        source,
        spec(() => aborter.abort(), aborter.signal),
      );
      await expect(following).rejects.toThrow(DeliverStreamError);
      await expect(following).rejects.toThrow(/aborted/);
    } finally {
      source.close();
    }
  });

  it('rejects naming the endpoint when nothing listens there', async () => {
    const address = await serve(() => undefined);
    server!.forceShutdown();
    server = undefined;
    const source = h2SessionSource(address, undefined, undefined);
    try {
      await expect(
        deliverStream(
          source,
          spec(() => undefined),
        ),
      ).rejects.toThrow(new RegExp(`Deliver from ${address}`));
    } finally {
      source.close();
    }
  });
});
