// What a client hears back for bad input, Deliver authorization, block waits
// and close, and the metrics a chain exports — on a 3-node channel.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignedEnvelope, encodeSerializedIdentity, HeaderType } from '../../src/block/index.js';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { WaitAbortedError } from '../../src/storage/index.js';
import { CHANNEL, TestCluster } from './harness.js';

let c: TestCluster;
let leader: number;
let follower: number;

beforeAll(async () => {
  c = new TestCluster({ options: { batchSize: { maxMessageCount: 2, absoluteMaxBytes: 4096, preferredMaxBytes: 2048 } } });
  await c.start();
  leader = await c.waitForLeader();
  follower = c.ids.find((id) => id !== leader)!;
});

afterAll(async () => {
  await c.close();
});

const outsider = new DevOrganization({ mspId: 'OutsiderMSP', algorithm: 'ecdsa-p256', provider: createCryptoProvider('native') }).issueMember('mallory');
const outsiderCreator = { signer: outsider.signer, serializedIdentity: encodeSerializedIdentity({ mspid: outsider.mspId, idBytes: outsider.idBytes }) };

describe('submit verdicts', () => {
  it('BAD_REQUEST for bytes that are not an envelope', async () => {
    const r = await c.chain(follower).submit(Uint8Array.of(0xff, 0x01, 0x02));
    expect(r.status).toBe('BAD_REQUEST');
    expect(r.info).toMatch(/^malformed envelope/);
  });

  it('BAD_REQUEST for an envelope of another channel', async () => {
    const env = createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: 'other', data: new Uint8Array(4), creator: c.client });
    expect(await c.chain(leader).submit(env)).toEqual({ status: 'BAD_REQUEST', info: `envelope is for channel "other", not "${CHANNEL}"` });
  });

  it("FORBIDDEN for a creator outside the channel's organizations", async () => {
    const env = createSignedEnvelope({
      type: HeaderType.ENDORSER_TRANSACTION,
      channelId: CHANNEL,
      data: new Uint8Array(4),
      creator: outsiderCreator,
      txId: 'mallory-1',
    });
    const r = await c.chain(leader).submit(env);
    expect(r.status).toBe('FORBIDDEN');
    expect(r.info).toContain('OutsiderMSP');
  });

  it("FORBIDDEN for a signature that is not the creator's", async () => {
    const forged = { signer: outsider.signer, serializedIdentity: c.client.serializedIdentity };
    const env = createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: CHANNEL, data: new Uint8Array(4), creator: forged, txId: 'forged-1' });
    const r = await c.chain(follower).submit(env);
    expect(r.status).toBe('FORBIDDEN');
    expect(r.info).toContain('does not verify');
  });

  it('BAD_REQUEST above AbsoluteMaxBytes', async () => {
    const r = await c.chain(leader).submit(c.envelope(5000).bytes);
    expect(r.status).toBe('BAD_REQUEST');
    expect(r.info).toMatch(/4096/);
  });

  it('BAD_REQUEST for a CONFIG_UPDATE on a channel whose genesis block holds no readable config', async () => {
    const env = createSignedEnvelope({ type: HeaderType.CONFIG_UPDATE, channelId: CHANNEL, data: new Uint8Array(4), creator: c.client });
    const r = await c.chain(follower).submit(env);
    expect(r.status).toBe('BAD_REQUEST');
    expect(r.info).toMatch(/no readable config/);
  });

  it("BAD_REQUEST for a client's CONFIG and ORDERER_TRANSACTION envelopes, with Fabric's reasons", async () => {
    const of = (type: HeaderType) => createSignedEnvelope({ type, channelId: CHANNEL, data: new Uint8Array(4), creator: c.client });
    expect(await c.chain(follower).submit(of(HeaderType.CONFIG))).toEqual({
      status: 'BAD_REQUEST',
      info: 'message is of type that cannot be processed directly',
    });
    expect(await c.chain(leader).submit(of(HeaderType.ORDERER_TRANSACTION))).toEqual({
      status: 'BAD_REQUEST',
      info: 'message is of type that is no longer supported',
    });
  });

  it('nothing refused reached the ledger', async () => {
    await c.tick(8); // past the batch timeout
    for (const id of c.ids) expect(c.chain(id).height()).toBe(1);
  });
});

describe('deliver authorization and block waits', () => {
  it('authorizes a channel member and refuses an outsider', async () => {
    const seek = (creator: typeof c.client) =>
      createSignedEnvelope({ type: HeaderType.DELIVER_SEEK_INFO, channelId: CHANNEL, data: new Uint8Array(2), creator });
    expect(await c.chain(follower).authorizeDeliver(seek(c.client))).toMatchObject({ status: 'SUCCESS', info: '' });
    expect((await c.chain(follower).authorizeDeliver(seek(outsiderCreator))).status).toBe('FORBIDDEN');
  });

  it('waitForBlock resolves when the block is durable on that node; metrics follow', async () => {
    const waits = c.ids.map((id) => c.chain(id).waitForBlock(1));
    const results = await Promise.all([c.chain(follower).submit(c.envelope().bytes), c.chain(leader).submit(c.envelope().bytes)]);
    expect(results.map((r) => r.status)).toEqual(['SUCCESS', 'SUCCESS']);
    await c.tickUntil(() => c.ids.every((id) => c.chain(id).height() === 2), 30, 'block 1 everywhere');
    await Promise.all(waits);
    const metric = async (id: number, name: string) => (await c.node(id).registry.getSingleMetric(name)!.get()).values[0]?.value;
    expect(await metric(leader, 'consensus_etcdraft_is_leader')).toBe(1);
    expect(await metric(follower, 'consensus_etcdraft_is_leader')).toBe(0);
    expect(await metric(follower, 'consensus_etcdraft_leader_changes')).toBe(1);
    expect(await metric(follower, 'consensus_etcdraft_committed_block_number')).toBe(1);
    expect(await metric(follower, 'consensus_etcdraft_cluster_size')).toBe(3);
    expect(await metric(follower, 'consensus_etcdraft_active_nodes')).toBe(3);
    expect(c.chain(follower).status()).toMatchObject({ channelId: CHANNEL, nodeId: follower, leaderId: leader, isLeader: false, height: 2, clusterSize: 3 });
    expect(c.chain(follower).status().raftTerm).toBeGreaterThan(0);
  });

  it('close() rejects block waiters and later submits', async () => {
    const id = follower;
    const waiting = c.chain(id).waitForBlock(50);
    const aborted = new AbortController();
    const abortable = c.chain(leader).waitForBlock(60, aborted.signal);
    aborted.abort();
    await expect(abortable).rejects.toBeInstanceOf(WaitAbortedError);
    await c.stop(id);
    await expect(waiting).rejects.toBeInstanceOf(WaitAbortedError);
    expect((await c.chain(id).submit(c.envelope().bytes)).status).toBe('SERVICE_UNAVAILABLE');
  });
});

describe('start-up errors', () => {
  it('refuses to start on an empty ledger without a genesis block, naming the option', async () => {
    const lone = new TestCluster({ size: 1, options: { genesisBlock: undefined } });
    await expect(lone.start()).rejects.toThrow('options.genesisBlock is required: the ledger of channel "chain-test" is empty');
    await lone.close();
  });
});
