// The client-facing server over a real one-node Chain (real storage, real
// timers) on 127.0.0.1: for tests of the server/chain contract end to end and
// for the live part of `npm run fuzz`. The compute is the caller's choice
// (in-thread, or the worker pool as a node runs it).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { createGenesisBlock, createSignedEnvelope, encodeBlock, encodeSerializedIdentity, HeaderType, type EnvelopeCreator } from '../../block/index.js';
import { Chain, InThreadCompute, type ChainCompute, type ChannelRegistry } from '../../chain/index.js';
import type { ClusterTransport } from '../../cluster/index.js';
import { createCryptoProvider, DevOrganization, type DevIdentity } from '../../crypto/index.js';
import { AtomicBroadcastServer } from '../../server/index.js';
import { openWalEnvironment, type WalEnvironment } from '../../storage/index.js';

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
  /** "127.0.0.1:<port>" of the server. */
  readonly address: string;
  /** The channel's organization (Org1MSP) and a member of it. */
  readonly org: DevOrganization;
  readonly user: DevIdentity;
  readonly member: EnvelopeCreator;
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
  return {
    channelId,
    chain,
    server,
    address: `127.0.0.1:${server.port}`,
    org,
    user,
    member: asCreator(user),
    async close() {
      await server.close();
      await chain.close();
      await env.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
