// The client-facing server over a real one-node Chain (real storage, real
// timers) on 127.0.0.1, with Fabric's generated client connected: for tests
// of the server/chain contract end to end. The compute is the test's choice
// (in-thread, or the worker pool as a node runs it).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { orderer } from '@hyperledger/fabric-protos';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import {
  createGenesisBlock, createSignedEnvelope, encodeBlock, encodeSerializedIdentity, HeaderType, type EnvelopeCreator,
} from '../../../src/block/index.js';
import { Chain, InThreadCompute, type ChainCompute, type ChannelRegistry } from '../../../src/chain/index.js';
import type { ClusterTransport } from '../../../src/cluster/types.js';
import { DevOrganization, type DevIdentity } from '../../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../../src/crypto/provider.js';
import { AtomicBroadcastServer } from '../../../src/server/index.js';
import { openWalEnvironment, type WalEnvironment } from '../../../src/storage/index.js';

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

export interface ChainServer {
  readonly channelId: string;
  readonly chain: Chain;
  readonly server: AtomicBroadcastServer;
  readonly client: orderer.AtomicBroadcastClient;
  /** The channel's organization (Org1MSP) and a member of it. */
  readonly org: DevOrganization;
  readonly user: DevIdentity;
  readonly member: EnvelopeCreator;
  /** Another client connection to the same server (a separate HTTP/2 connection). */
  connect(): orderer.AtomicBroadcastClient;
  close(): Promise<void>;
}

export interface ChainServerOptions {
  readonly channelId: string;
  /** The chain's compute, signing blocks as `orderer`; default: the compute on the calling thread. */
  readonly compute?: (orderer: DevIdentity) => ChainCompute;
  /** Default: silent. */
  readonly logger?: Logger;
}

export function asCreator(member: DevIdentity): EnvelopeCreator {
  return { signer: member.signer, serializedIdentity: encodeSerializedIdentity({ mspid: member.mspId, idBytes: member.idBytes }) };
}

export async function startChainServer(options: ChainServerOptions): Promise<ChainServer> {
  const { channelId } = options;
  const logger = options.logger ?? pino({ level: 'silent' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'server-chain-'));
  const provider = createCryptoProvider('native');
  const org = new DevOrganization({ mspId: 'Org1MSP', algorithm: 'ecdsa-p256', provider });
  const user = org.issueMember('user1');
  const ordererMember = org.issueMember('orderer1');
  const config = createSignedEnvelope({ type: HeaderType.CONFIG, channelId, data: new TextEncoder().encode('genesis config') });
  const env: WalEnvironment = openWalEnvironment({ dir, engine: 'native', logger });
  const chain = new Chain(
    {
      channelId,
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
    {
      storage: env.channel(channelId),
      transport: loneTransport,
      compute: (options.compute ?? ((orderer) => new InThreadCompute(asCreator(orderer))))(ordererMember),
      logger,
      metrics: new Registry(),
    },
  );
  await chain.start();
  const channels: ChannelRegistry = { get: (id) => (id === channelId ? chain : undefined), list: () => [chain] };
  const server = await AtomicBroadcastServer.start({ listenAddress: '127.0.0.1:0' }, { channels, logger, metricsRegistry: new Registry() });
  const clients: orderer.AtomicBroadcastClient[] = [];
  const connect = (): orderer.AtomicBroadcastClient => {
    // A local subchannel pool: grpc-js opens this client's own connection instead of sharing one.
    const client = new orderer.AtomicBroadcastClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    clients.push(client);
    return client;
  };
  const client = connect();
  return {
    channelId, chain, server, client, org, user, member: asCreator(user), connect,
    async close() {
      for (const c of clients) c.close();
      await server.close();
      await chain.close();
      await env.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
