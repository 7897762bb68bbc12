// No client can hurt another through the Broadcast and Deliver servers: over
// a real one-node chain checking envelopes in the worker pool, envelopes whose
// creator certificate has a subject byte set to 0xFF are refused, each in its
// own answer, while every honest envelope — on the same stream and on other
// connections — succeeds; a Deliver request with such a creator is FORBIDDEN,
// and nothing is logged as the orderer's own fault.

import { Writable } from 'node:stream';
import { common, type orderer } from '@hyperledger/fabric-protos';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignedEnvelope, encodeSerializedIdentity, HeaderType, SeekBehavior, SeekContentType, SeekErrorResponse } from '../../src/block/index.js';
import { PoolCompute } from '../../src/chain/index.js';
import { WorkerPool } from '../../src/workers/index.js';
import { envelopeWithBadCreator, withBadSubjectByte } from '../workers/hostileCertificates.js';
import { startChainServer, type ChainServer } from '../../src/cli/dev/chainServer.js';
import { seekRequest, toProtosEnvelope } from './support/envelopes.js';
import { collect, connectClient, eventually } from './support/harness.js';

const CHANNEL = 'isolation';

/** Every log line at warn or above, parsed. */
const severeLogs: { level: number; msg: string }[] = [];
const logger = pino(
  { level: 'warn' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) severeLogs.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  }),
);
const PINO_ERROR = 50;

let pool: WorkerPool;
let setup: ChainServer;
let client: orderer.AtomicBroadcastClient;
const others: orderer.AtomicBroadcastClient[] = [];

beforeAll(async () => {
  pool = new WorkerPool({ maxThreads: 2 });
  setup = await startChainServer({
    channelId: CHANNEL,
    logger,
    compute: (orderer) =>
      new PoolCompute(pool, {
        engine: 'native',
        algorithm: 'ecdsa-p256',
        privateKeyPem: orderer.signer.exportPrivateKeyPem(),
        serializedIdentity: encodeSerializedIdentity({ mspid: orderer.mspId, idBytes: orderer.idBytes }),
      }),
  });
  await eventually(() => setup.chain.status().isLeader, 'the lone node leads its channel');
  client = connectClient(setup.address);
});

afterAll(async () => {
  for (const c of [client, ...others]) c?.close();
  await setup?.close();
  await pool?.close();
});

function honest(txId: string): Uint8Array {
  return createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: CHANNEL, txId, data: new TextEncoder().encode(txId), creator: setup.member });
}

/** Writes `envelopes` on one Broadcast stream of `client` and returns the statuses, in order. */
async function broadcastAll(client: orderer.AtomicBroadcastClient, envelopes: readonly Uint8Array[]): Promise<number[]> {
  const stream = client.broadcast();
  const done = collect(stream);
  for (const envelope of envelopes) stream.write(toProtosEnvelope(envelope));
  stream.end();
  const { messages, error } = await done;
  expect(error).toBeUndefined();
  return messages.map((m) => m.getStatus());
}

describe('one bad creator certificate affects only its own answer', () => {
  it('Broadcast: mutated envelopes are FORBIDDEN; honest ones on the same stream and on other connections all succeed', async () => {
    // 90 envelopes on one stream, every 9th with the mutated creator (the 49-of-90 case);
    // meanwhile two other connections send 150 honest envelopes each.
    const mixed = Array.from({ length: 90 }, (_, i) => (i % 9 === 4 ? envelopeWithBadCreator(setup.user, CHANNEL, `bad-${i}`) : honest(`mixed-${i}`)));
    others.push(connectClient(setup.address), connectClient(setup.address));
    const [mixedStatuses, ...otherStatuses] = await Promise.all([
      broadcastAll(client, mixed),
      ...others.map((client, c) =>
        broadcastAll(
          client,
          Array.from({ length: 150 }, (_, i) => honest(`other-${c}-${i}`)),
        ),
      ),
    ]);
    expect(mixedStatuses).toEqual(mixed.map((_, i) => (i % 9 === 4 ? common.Status.FORBIDDEN : common.Status.SUCCESS)));
    for (const statuses of otherStatuses) expect(statuses).toEqual(Array.from({ length: 150 }, () => common.Status.SUCCESS));
    expect(severeLogs.filter((l) => l.level >= PINO_ERROR)).toEqual([]);
  });

  it('Deliver: a request whose creator has the mutated certificate is FORBIDDEN, not INTERNAL_SERVER_ERROR', async () => {
    const idBytes = new TextEncoder().encode(withBadSubjectByte(setup.user.certPem));
    const creator = { signer: setup.user.signer, serializedIdentity: encodeSerializedIdentity({ mspid: setup.user.mspId, idBytes }) };
    const seek = {
      start: { type: 'oldest' as const },
      stop: { type: 'newest' as const },
      behavior: SeekBehavior.FAIL_IF_NOT_READY,
      errorResponse: SeekErrorResponse.STRICT,
      contentType: SeekContentType.BLOCK,
    };
    const stream = client.deliver();
    const done = collect(stream);
    stream.write(toProtosEnvelope(seekRequest(CHANNEL, seek, 'Org1MSP', creator)));
    stream.write(toProtosEnvelope(seekRequest(CHANNEL, seek, 'Org1MSP', setup.member)));
    stream.end();
    const { messages, error } = await done;
    expect(error).toBeUndefined();
    // The bad request's status, then the honest request on the same stream: block 0 and SUCCESS.
    expect(messages[0]!.getStatus()).toBe(common.Status.FORBIDDEN);
    expect(messages[1]!.getBlock()?.getHeader()?.getNumber()).toBe(0);
    expect(messages.at(-1)!.getStatus()).toBe(common.Status.SUCCESS);
    expect(severeLogs.filter((l) => l.level >= PINO_ERROR)).toEqual([]);
  });
});
