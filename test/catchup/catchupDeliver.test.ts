// The block puller over real Deliver: node 1 of an in-process cluster is
// served by src/server's AtomicBroadcastServer on 127.0.0.1, and a fresh
// ledger (genesis only) pulls the chain from it through DeliverBlockSource,
// after a first source that is down. Also: a requester outside the channel's
// organizations is refused by the server, and the pull fails with that reason.

import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBlock, encodeBlock, encodeSerializedIdentity, type EnvelopeCreator } from '../../src/block/index.js';
import type { ChannelRegistry } from '../../src/chain/index.js';
import { BlockPuller, CatchUpMetrics, DeliverBlockSource, PulledBlockVerifier } from '../../src/catchup/index.js';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { AtomicBroadcastServer } from '../../src/server/index.js';
import { CHANNEL, TestCluster } from '../chain/harness.js';
import { freshLedger } from './catchupSupport.js';

const logger = pino({ level: process.env.CHAIN_TEST_LOG ?? 'silent' });
const sha256 = createCryptoProvider('native').hasher('sha256');
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function servedCluster(): Promise<{ c: TestCluster; address: string }> {
  const c = new TestCluster();
  cleanups.push(() => c.close());
  await c.start();
  const leader = await c.waitForLeader();
  await Promise.all(Array.from({ length: 25 }, () => c.chain(leader).submit(c.envelope().bytes)));
  await c.tickUntil(() => c.ids.every((id) => c.txIds(id).length === 25), 60, 'blocks everywhere');
  const chain = c.chain(1);
  const channels: ChannelRegistry = { get: (id) => (id === CHANNEL ? chain : undefined), list: () => [chain] };
  const server = await AtomicBroadcastServer.start({ listenAddress: '127.0.0.1:0' }, { channels, logger, metricsRegistry: new Registry() });
  cleanups.push(() => server.close());
  return { c, address: `127.0.0.1:${server.port}` };
}

function source(name: string, address: string, creator: EnvelopeCreator): DeliverBlockSource {
  const s = new DeliverBlockSource({ name, address, creator, idleTimeoutMs: 5000 });
  cleanups.push(() => s.close());
  return s;
}

function ordererCreator(c: TestCluster, name: string): EnvelopeCreator {
  const member = c.org.issueMember(name);
  return { signer: member.signer, serializedIdentity: encodeSerializedIdentity({ mspid: member.mspId, idBytes: member.idBytes }) };
}

describe('block puller over a real Deliver server', () => {
  it('pulls and verifies the whole chain into a fresh ledger, after a source that is down', async () => {
    const { c, address } = await servedCluster();
    const env = await freshLedger(c, cleanups, 'catchup-deliver-');
    const ledger = env.channel(CHANNEL).ledger;
    const creator = ordererCreator(c, 'orderer9');
    const pulled: number[] = [];
    const registry = new Registry();
    const puller = new BlockPuller({
      metrics: new CatchUpMetrics(registry, CHANNEL),
      channelId: CHANNEL,
      sources: [source('down', '127.0.0.1:1', creator), source('node 1', address, creator)],
      verifier: new PulledBlockVerifier({ engine: 'native', hasher: sha256, organizations: [c.org.config], ordererMspIds: ['Org1MSP'] }),
      ledger,
      hasher: sha256,
      logger,
      roundsMax: 1,
      onBlockPulled: (n) => pulled.push(n),
    });
    const height = c.chain(1).height();
    await puller.pullBlocks(1, decodeBlock(c.chain(1).block(height - 1)));
    expect(ledger.height).toBe(height);
    expect(pulled).toEqual(Array.from({ length: height - 1 }, (_, i) => i + 1));
    const metric = async (name: string): Promise<number | undefined> => (await registry.getSingleMetric(name)!.get()).values[0]?.value;
    expect(await metric('consensus_etcdraft_catchup_blocks_pulled')).toBe(height - 1);
    expect(await metric('consensus_etcdraft_catchup_source_failures')).toBe(1); // the source that is down
    for (let n = 0; n < height; n++) expect(Buffer.from(ledger.block(n).bytes).equals(Buffer.from(c.chain(1).block(n)))).toBe(true);
    // Eviction suspicion's question over the same Deliver: the newest block, verified (the down source is skipped).
    const newest = await puller.newestBlock();
    expect(newest?.header.number).toBe(height - 1);
    expect(Buffer.from(encodeBlock(newest!)).equals(Buffer.from(c.chain(1).block(height - 1)))).toBe(true);
  });

  it('a requester outside the channel is refused by the server and the pull fails saying so', async () => {
    const { c, address } = await servedCluster();
    const env = await freshLedger(c, cleanups, 'catchup-deliver-');
    const stranger = new DevOrganization({ mspId: 'OtherMSP', algorithm: 'ecdsa-p256', provider: createCryptoProvider('native') }).issueMember('x');
    const creator = { signer: stranger.signer, serializedIdentity: encodeSerializedIdentity({ mspid: stranger.mspId, idBytes: stranger.idBytes }) };
    const puller = new BlockPuller({
      channelId: CHANNEL,
      sources: [source('node 1', address, creator)],
      verifier: new PulledBlockVerifier({ engine: 'native', hasher: sha256, organizations: [c.org.config] }),
      ledger: env.channel(CHANNEL).ledger,
      hasher: sha256,
      logger,
      roundsMax: 1,
    });
    const height = c.chain(1).height();
    await expect(puller.pullBlocks(1, decodeBlock(c.chain(1).block(height - 1)))).rejects.toThrow(/FORBIDDEN/);
    expect(env.channel(CHANNEL).ledger.height).toBe(1);
  });
});
