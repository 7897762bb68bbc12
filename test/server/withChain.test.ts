// The server over a real Chain (one-node channel, real storage, in-thread
// compute, real timers): Fabric's client broadcasts signed envelopes and
// reads them back in blocks through Deliver. Checks the server/chain
// contract end to end, not timing.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { common, orderer } from '@hyperledger/fabric-protos';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGenesisBlock,
  createSignedEnvelope,
  encodeBlock,
  encodeSerializedIdentity,
  HeaderType,
  SeekBehavior,
  SeekContentType,
  SeekErrorResponse,
  type EnvelopeCreator,
} from '../../src/block/index.js';
import { Chain, InThreadCompute, type ChannelRegistry } from '../../src/chain/index.js';
import type { ClusterTransport } from '../../src/cluster/types.js';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { AtomicBroadcastServer } from '../../src/server/index.js';
import { openWalEnvironment, type WalEnvironment } from '../../src/storage/index.js';
import { seekRequest, toProtosEnvelope } from './support/envelopes.js';
import { collect, eventually } from './support/harness.js';

const CHANNEL = 'server-chain';
const logger = pino({ level: 'silent' });

/** A one-node channel never sends to peers; any use of the transport is a bug here. */
const loneTransport: ClusterTransport = {
  selfId: 1,
  sendConsensus: () => {
    throw new Error('a one-node channel has no peer to send to');
  },
  forwardSubmit: () => Promise.reject(new Error('a one-node channel has no leader to forward to')),
  setHandler: () => undefined,
  isReachable: () => false,
  onUnreachable: () => undefined,
  updatePeers: () => undefined,
  close: async () => undefined,
};

let dir: string;
let env: WalEnvironment;
let chain: Chain;
let server: AtomicBroadcastServer;
let client: orderer.AtomicBroadcastClient;
let member: EnvelopeCreator;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'server-chain-'));
  const provider = createCryptoProvider('native');
  const org = new DevOrganization({ mspId: 'Org1MSP', algorithm: 'ecdsa-p256', provider });
  const user = org.issueMember('user1');
  member = { signer: user.signer, serializedIdentity: encodeSerializedIdentity({ mspid: user.mspId, idBytes: user.idBytes }) };
  const ordererMember = org.issueMember('orderer1');
  const identity = { signer: ordererMember.signer, serializedIdentity: encodeSerializedIdentity({ mspid: ordererMember.mspId, idBytes: ordererMember.idBytes }) };
  const config = createSignedEnvelope({ type: HeaderType.CONFIG, channelId: CHANNEL, data: new TextEncoder().encode('genesis config') });
  env = openWalEnvironment({ dir, engine: 'native', logger });
  chain = new Chain(
    {
      channelId: CHANNEL,
      selfId: 1,
      consenters: [1],
      tickIntervalMs: 20,
      batchTimeoutMs: 50,
      batchSize: { maxMessageCount: 5, absoluteMaxBytes: 64 * 1024, preferredMaxBytes: 32 * 1024 },
      hashAlgorithm: 'sha256',
      signatureAlgorithm: 'ecdsa-p256',
      engine: 'native',
      organizations: [org.config],
      genesisBlock: encodeBlock(createGenesisBlock(provider.hasher('sha256'), config)),
    },
    { storage: env.channel(CHANNEL), transport: loneTransport, compute: new InThreadCompute(identity), logger, metrics: new Registry() },
  );
  await chain.start();
  const channels: ChannelRegistry = { get: (id) => (id === CHANNEL ? chain : undefined), list: () => [chain] };
  server = await AtomicBroadcastServer.start({ listenAddress: '127.0.0.1:0' }, { channels, logger, metricsRegistry: new Registry() });
  client = new orderer.AtomicBroadcastClient(`127.0.0.1:${server.port}`, (await import('@grpc/grpc-js')).credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  await server?.close();
  await chain?.close();
  await env?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('server over a one-node chain', () => {
  it('once the node leads, orders envelopes into blocks that Deliver streams back once each', async () => {
    await eventually(() => chain.status().isLeader, 'the lone node leads its channel');
    const count = 12;
    const envelopes = Array.from({ length: count }, (_, i) =>
      createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: CHANNEL, data: new TextEncoder().encode(`tx ${i}`), creator: member }),
    );
    const forged = createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: CHANNEL, data: new TextEncoder().encode('forged'), creator: member });
    forged[forged.length - 3] ^= 0xff; // inside the signature
    const broadcast = client.broadcast();
    const broadcastDone = collect(broadcast);
    for (const envelope of envelopes) broadcast.write(toProtosEnvelope(envelope));
    broadcast.write(toProtosEnvelope(forged));
    broadcast.end();
    const { messages: responses, error } = await broadcastDone;
    expect(error).toBeUndefined();
    expect(responses.slice(0, count).map((r) => r.getStatus())).toEqual(envelopes.map(() => common.Status.SUCCESS));
    expect(responses[count]!.getStatus()).toBe(common.Status.FORBIDDEN);

    // Read blocks from 1 until every envelope has been seen (BLOCK_UNTIL_READY waits for the batch timer).
    const wanted = new Set(envelopes.map((e) => Buffer.from(e).toString('base64')));
    const seen: string[] = [];
    for (let next = 1; seen.length < count; next++) {
      const stream = client.deliver();
      const done = collect(stream);
      const seek = { start: { type: 'specified' as const, number: next }, stop: { type: 'specified' as const, number: next }, behavior: SeekBehavior.BLOCK_UNTIL_READY, errorResponse: SeekErrorResponse.STRICT, contentType: SeekContentType.BLOCK };
      stream.write(toProtosEnvelope(seekRequest(CHANNEL, seek, 'Org1MSP', member)));
      stream.end();
      const { messages } = await done;
      expect(messages.at(-1)!.getStatus()).toBe(common.Status.SUCCESS);
      const block = messages[0]!.getBlock()!;
      expect(block.getHeader()!.getNumber()).toBe(next);
      for (const data of block.getData()!.getDataList_asU8()) seen.push(Buffer.from(data).toString('base64'));
      expect(next).toBeLessThan(count + 1);
    }
    expect(seen.sort()).toEqual([...wanted].sort());
  });

  it('refuses a Deliver request whose signature does not verify', async () => {
    const seek = { start: { type: 'oldest' as const }, stop: { type: 'newest' as const }, behavior: SeekBehavior.BLOCK_UNTIL_READY, errorResponse: SeekErrorResponse.STRICT, contentType: SeekContentType.BLOCK };
    const forged = seekRequest(CHANNEL, seek, 'Org1MSP', member);
    forged[forged.length - 3] ^= 0xff; // inside the signature
    const stream = client.deliver();
    const done = collect(stream);
    stream.write(toProtosEnvelope(forged));
    stream.end();
    const { messages } = await done;
    expect(messages.map((m) => m.getStatus())).toEqual([common.Status.FORBIDDEN]);
  });

  it('refuses Deliver to a requester outside the channel’s organizations', async () => {
    const stranger = new DevOrganization({ mspId: 'Org9MSP', algorithm: 'ecdsa-p256', provider: createCryptoProvider('native') }).issueMember('eve');
    const creator = { signer: stranger.signer, serializedIdentity: encodeSerializedIdentity({ mspid: stranger.mspId, idBytes: stranger.idBytes }) };
    const stream = client.deliver();
    const done = collect(stream);
    const seek = { start: { type: 'oldest' as const }, stop: { type: 'newest' as const }, behavior: SeekBehavior.BLOCK_UNTIL_READY, errorResponse: SeekErrorResponse.STRICT, contentType: SeekContentType.BLOCK };
    stream.write(toProtosEnvelope(seekRequest(CHANNEL, seek, 'Org9MSP', creator)));
    stream.end();
    const { messages } = await done;
    expect(messages.map((m) => m.getStatus())).toEqual([common.Status.FORBIDDEN]);
  });
});
