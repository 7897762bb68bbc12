// The authentication rule for consenters a node's own config does not know
// yet (vouchedPeers.ts): eviction suspicion reads the channel's latest config
// block through the block puller, and only a block signed by an orderer of
// the channel makes the transport accept the consenters it lists. A forged
// block (signature that does not verify, or none) listing the same consenter
// leaves the transport as it was.

import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBlock, encodeBlock, type Block } from '../../src/block/index.js';
import { decodeMetadata, encodeMetadata } from '../../src/block/codec/block.js';
import { BlockMetadataIndex, type MetadataSignature } from '../../src/block/model.js';
import { BlockPuller, BlockPullError, PulledBlockVerifier, type BlockSource } from '../../src/catchup/index.js';
import { EvictionSuspector } from '../../src/chain/liveness/evictionSuspicion.js';
import type { ClusterPeer } from '../../src/cluster/index.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { ChannelPeerSets, type NodeTransport } from '../../src/node/channelTransport.js';
import { consenterPeersOf } from '../../src/node/joinPlan.js';
import { vouchVerifiedConsenters } from '../../src/node/vouchedPeers.js';
import { CHANNEL, ConfigCluster } from '../chain/configCluster.js';

const logger = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** Submits a config update on the leader; resolves once every node but `except` applied it. */
async function reconfigure(cc: ConfigCluster, except: number, change: Parameters<ConfigCluster['configUpdate']>[1]): Promise<void> {
  const leader = cc.leaderId();
  const sequence = cc.currentConfig(leader).values.sequence + 1;
  const result = await cc.chain(leader).submit(cc.configUpdate(leader, change));
  expect(result.status, result.info).toBe('SUCCESS');
  const rest = [1, 2, 3].filter((id) => id !== except);
  await cc.tickUntil(() => rest.every((id) => cc.currentConfig(id).values.sequence === sequence), 80, 'the config update committed on the others');
}

/**
 * A channel whose consenter `readded` was removed and added back (Raft id 4)
 * while cut off, and one block ordered after that; resolves with the node the
 * blocks are read from and the re-adding config block's number.
 */
async function readdedChannel(cc: ConfigCluster): Promise<{ readded: number; source: number; configBlock: number }> {
  await cc.start([1, 2, 3]);
  const leader = await cc.waitForLeader();
  const readded = [1, 2, 3].find((id) => id !== leader)!;
  const consenter = cc.genesisValues.consenters[readded - 1]!;
  cc.network.isolate(readded);
  await reconfigure(cc, readded, (v) => ({ ...v, consenters: v.consenters.filter((_, i) => i !== readded - 1) }));
  await reconfigure(cc, readded, (v) => ({ ...v, consenters: [...v.consenters, consenter] }));
  const configBlock = cc.chain(leader).height() - 1;
  expect((await cc.chain(leader).submit(cc.envelope().bytes)).status).toBe('SUCCESS');
  await cc.tickUntil(() => cc.chain(leader).height() > configBlock + 1, 40, 'a block after the config block');
  return { readded, source: leader, configBlock };
}

/** Blocks of node `id`'s ledger as another orderer serves them over Deliver, `tamper` applied to each. */
function sourceOf(cc: ConfigCluster, id: number, tamper: (block: Block) => Block): BlockSource {
  const served = (n: number): Uint8Array => encodeBlock(tamper(decodeBlock(cc.chain(id).block(n))));
  return {
    name: `node ${id}`,
    async deliver(_channelId, fromNumber, toNumber, onBlock) {
      for (let n = fromNumber; n <= toNumber; n++) {
        if (n >= cc.chain(id).height()) throw new BlockPullError(`node ${id} has no block ${n}`);
        await onBlock(served(n));
      }
    },
    newest: async () => served(cc.chain(id).height() - 1),
  };
}

/** `block` when it is not block `number`; else with its orderer signatures rewritten by `rewrite`. */
function withSignatures(number: number, rewrite: (signatures: readonly MetadataSignature[]) => MetadataSignature[]): (block: Block) => Block {
  return (block) => {
    if (block.header.number !== number) return block;
    const metadata = [...block.metadata];
    const signed = decodeMetadata(metadata[BlockMetadataIndex.SIGNATURES]!);
    metadata[BlockMetadataIndex.SIGNATURES] = encodeMetadata({ value: signed.value, signatures: rewrite(signed.signatures) });
    return { ...block, metadata };
  };
}

/** Every signature's bytes with one bit flipped: signed, but not by the key its creator certifies. */
const corrupted = (signatures: readonly MetadataSignature[]): MetadataSignature[] =>
  signatures.map((s) => {
    const signature = Uint8Array.from(s.signature);
    signature[signature.length - 1]! ^= 1;
    return { ...s, signature };
  });

/** A node restarted from block 0 (its channel's peers: consenters 1-3 of the genesis block) whose transport records what it is given. */
function wipedNode(cc: ConfigCluster, selfId: number): { sets: ChannelPeerSets; applied: ClusterPeer[][] } {
  const applied: ClusterPeer[][] = [];
  const transport: NodeTransport = {
    selfId,
    sendConsensus: () => undefined,
    forwardSubmit: async () => undefined,
    setHandler: () => undefined,
    isReachable: () => true,
    onUnreachable: () => undefined,
    updatePeers: () => expect.fail('a node hands the transport per-channel lists only'),
    setChannelPeers: (_channel, _localId, peers) => void applied.push([...(peers ?? [])]),
    close: async () => undefined,
  };
  const sets = new ChannelPeerSets(transport, logger);
  sets.set(CHANNEL, consenterPeersOf(decodeBlock(cc.genesis)), selfId);
  return { sets, applied };
}

/** Eviction suspicion of node `selfId` reading blocks through a real BlockPuller from `source`, vouching as the node does. */
function suspectorOf(cc: ConfigCluster, selfId: number, sets: ChannelPeerSets, source: BlockSource, height: () => number): EvictionSuspector {
  const hasher = createCryptoProvider('native').hasher('sha256');
  const options = cc.options(selfId, [1, 2, 3]);
  const puller = new BlockPuller({
    channelId: CHANNEL,
    sources: [source],
    verifier: new PulledBlockVerifier({ engine: 'native', hasher, organizations: options.organizations!, ordererMspIds: [cc.channel.ordererOrg.mspId] }),
    ledger: cc.nodes.get(selfId)!.env.channel(CHANNEL).ledger,
    hasher,
    logger,
    roundsMax: 1,
  });
  return new EvictionSuspector({
    selfId,
    selfTlsCertPem: cc.genesisValues.consenters[selfId - 1]!.clientTlsCertPem,
    evictionSuspicionMs: 1000,
    source: { newestBlock: () => puller.newestBlock(), blockAt: (n) => puller.blockAt(n) },
    logger,
    onEvicted: (reason) => expect.fail(`evicted: ${reason}`),
    onReadded: (reason) => expect.fail(`re-added: ${reason}`),
    onMember: (verdict) => vouchVerifiedConsenters(sets, CHANNEL, verdict, height, logger),
  });
}

describe('consenters of a config block newer than the ledger, for stream authentication', () => {
  it('are taken from a block signed by an orderer of the channel, never from a forged or unsigned one, and give way once the ledger holds the block', async () => {
    const cc = new ConfigCluster(3);
    cleanups.push(() => cc.close());
    const { readded, source, configBlock } = await readdedChannel(cc);
    const wiped = [1, 2, 3].find((id) => id !== readded && id !== source)!;
    const { sets, applied } = wipedNode(cc, wiped);
    const readdedCert = cc.genesisValues.consenters[readded - 1]!.clientTlsCertPem;
    const peerIds = (): number[] =>
      applied
        .at(-1)!
        .map((p) => p.id)
        .sort();
    expect(peerIds()).toEqual([1, 2, 3].filter((id) => id !== wiped));
    let height = 1;

    // The config block re-adding the consenter as 4, with a signature that does not verify, or with none.
    for (const forge of [corrupted, (): MetadataSignature[] => []]) {
      const forged = suspectorOf(cc, wiped, sets, sourceOf(cc, source, withSignatures(configBlock, forge)), () => height);
      const verdict = await forged.check();
      expect(verdict.kind).toBe('unknown');
      expect(verdict.kind === 'unknown' && verdict.reason).toContain(`config block ${configBlock}`);
      expect(applied).toHaveLength(1);
    }

    // The genuine block: consenter 4, with the re-added node's certificate, is a peer; Raft's voters are the chain's business.
    const genuine = suspectorOf(
      cc,
      wiped,
      sets,
      sourceOf(cc, source, (b) => b),
      () => height,
    );
    expect(await genuine.check()).toMatchObject({ kind: 'member', configBlock, consenters: expect.arrayContaining([4, wiped]) });
    expect(peerIds()).toEqual([...[1, 2, 3].filter((id) => id !== wiped), 4].sort());
    expect(applied.at(-1)!.find((p) => p.id === 4)!.tlsCertPem).toBe(readdedCert);
    // Asked again: nothing new to apply.
    await genuine.check();
    expect(applied).toHaveLength(2);

    // The chain's own peers before its ledger holds the block keep consenter 4; after, they are the chain's alone.
    sets.set(CHANNEL, consenterPeersOf(decodeBlock(cc.genesis)));
    expect(peerIds()).toContain(4);
    height = configBlock + 1;
    sets.set(CHANNEL, consenterPeersOf(decodeBlock(cc.genesis)));
    expect(peerIds()).toEqual([1, 2, 3].filter((id) => id !== wiped));
  }, 60_000);
});
