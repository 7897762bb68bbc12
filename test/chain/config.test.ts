// Config transactions through the chain: validated by the leader (refusals
// name the rule), ordered alone in their own block, applied on every node.

import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import {
  createSignedEnvelope,
  decodeBlock,
  encodeSerializedIdentity,
  HeaderType,
  isConfigBlock,
  readBlockSignatures,
  type EnvelopeCreator,
} from '../../src/block/index.js';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { WorkerPool } from '../../src/workers/index.js';
import { CHANNEL, ConfigCluster } from './configCluster.js';
import type { ChannelConfigInput } from '../../src/block/configtx/index.js';

let c: ConfigCluster | undefined;

afterEach(async () => {
  await c?.close();
  c = undefined;
});

async function started(): Promise<{ c: ConfigCluster; leader: number }> {
  c = new ConfigCluster(3);
  await c.start([1, 2, 3]);
  return { c, leader: await c.waitForLeader() };
}

function configBlocks(cluster: ConfigCluster, id: number): number[] {
  const chain = cluster.chain(id);
  const out: number[] = [];
  for (let n = 1; n < chain.height(); n++) if (isConfigBlock(decodeBlock(chain.block(n)))) out.push(n);
  return out;
}

describe('chain: config transactions', () => {
  it('a batch size update submitted to a follower is ordered alone, committed everywhere, and later blocks are cut with it', async () => {
    const { c, leader } = await started();
    const follower = [1, 2, 3].find((id) => id !== leader)!;
    const before = Array.from({ length: 4 }, () => c.envelope());
    const pending = before.map((e) => c.chain(leader).submit(e.bytes));
    const update = c.configUpdate(follower, (v) => ({ ...v, batchSize: { ...v.batchSize, maxMessageCount: 3 } }));
    expect(await c.chain(follower).submit(update)).toEqual({ status: 'SUCCESS', info: '' });
    for (const r of await Promise.all(pending)) expect(r.status).toBe('SUCCESS');
    await c.tickUntil(() => [1, 2, 3].every((id) => configBlocks(c, id).length === 1), 60, 'the config block on every node');

    const configNumber = configBlocks(c, leader)[0]!;
    const configBlock = decodeBlock(c.chain(leader).block(configNumber));
    expect(configBlock.data).toHaveLength(1);
    for (const id of [1, 2, 3]) expect(c.currentConfig(id).values.batchSize.maxMessageCount).toBe(3);

    const after = Array.from({ length: 9 }, () => c.envelope());
    for (const r of await Promise.all(after.map((e) => c!.chain(leader).submit(e.bytes)))) expect(r.status).toBe('SUCCESS');
    const all = [...before, ...after].map((e) => e.txId);
    await c.tickUntil(() => [1, 2, 3].every((id) => c!.txIds(id).length === all.length), 60, 'every envelope on every node');
    for (const id of [1, 2, 3]) {
      expect(c.txIds(id)).toEqual(all);
      expect(c.headers(id)).toEqual(c.headers(leader));
    }
    // Blocks after the config block are cut at 3 envelopes (9 -> three full blocks, no timeout needed).
    const sizes: number[] = [];
    for (let n = configNumber + 1; n < c.chain(leader).height(); n++) sizes.push(decodeBlock(c.chain(leader).block(n)).data.length);
    expect(sizes).toEqual([3, 3, 3]);
    // LAST_CONFIG of a later block points at the config block.
    const last = decodeBlock(c.chain(leader).block(c.chain(leader).height() - 1));
    expect(readBlockSignatures(last).lastConfigIndex).toBe(configNumber);
  });

  it('refuses, naming the rule: a stale update, two consenter changes, an update signed by no admin (FORBIDDEN naming the policy), an envelope with a bad signature', async () => {
    const { c, leader } = await started();
    const first = c.configUpdate(leader, (v) => ({ ...v, batchTimeoutMs: 700 }));
    const stale = c.configUpdate(leader, (v) => ({ ...v, batchTimeoutMs: 800 })); // same base sequence as `first`
    expect((await c.chain(leader).submit(first)).status).toBe('SUCCESS');
    await c.tickUntil(() => [1, 2, 3].every((id) => configBlocks(c!, id).length === 1), 60, 'the first config block everywhere');

    const staleResult = await c.chain(leader).submit(stale);
    expect(staleResult.status).toBe('BAD_REQUEST');
    expect(staleResult.info).toContain('attempt to set key [Value]  /Channel/Orderer/BatchTimeout to version 1, but key is at version 1');

    const two = c.configUpdate(leader, (v) => ({ ...v, consenters: [...v.consenters, c!.channel.consenter(4), c!.channel.consenter(5)] }));
    const twoResult = await c.chain(leader).submit(two);
    expect(twoResult.status).toBe('BAD_REQUEST');
    expect(twoResult.info).toMatch(/\(one-consenter-change\)/);

    const byClient = c.configUpdate(leader, (v) => ({ ...v, batchTimeoutMs: 900 }), c.client);
    const clientResult = await c.chain(leader).submit(byClient);
    expect(clientResult.status).toBe('FORBIDDEN');
    expect(clientResult.info).toBe(
      "error applying config update to existing channel 'config-test': error authorizing update: error validating DeltaSet: policy for [Value]  /Channel/Orderer/BatchTimeout not satisfied: " +
        "mod_policy /Channel/Orderer/Admins: implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of the 'Admins' sub-policies to be satisfied",
    );

    const tampered = c.configUpdate(leader, (v) => ({ ...v, batchTimeoutMs: 900 }));
    tampered[tampered.length - 3] ^= 0xff; // inside the envelope's signature (the last field)
    const tamperedResult = await c.chain(leader).submit(tampered);
    expect(['BAD_REQUEST', 'FORBIDDEN']).toContain(tamperedResult.status);
    expect(tamperedResult.info).toMatch(/signature/);

    // Nothing refused was ordered, and the accepted one took effect.
    await c.tick(10);
    for (const id of [1, 2, 3]) {
      expect(configBlocks(c, id)).toHaveLength(1);
      expect(c.currentConfig(id).values.batchTimeoutMs).toBe(700);
    }
    const metrics = await c.nodes.get(leader)!.registry.getSingleMetricAsString('consensus_etcdraft_config_proposals_received');
    expect(metrics).toMatch(/consensus_etcdraft_config_proposals_received\{channel="config-test"\} [45]\b/);
  });

  it('does not count a ConfigSignature that does not verify (the envelope itself is well signed): FORBIDDEN, saying why it was not counted', async () => {
    const { c, leader } = await started();
    let calls = 0;
    // buildConfigUpdateEnvelope signs the ConfigUpdate first: that one signature is made over other bytes.
    const forger: EnvelopeCreator = {
      serializedIdentity: c.admin.serializedIdentity,
      signer: { ...c.admin.signer, sign: (m: Uint8Array) => c.admin.signer.sign(++calls === 1 ? new Uint8Array([...m, 0]) : m) },
    };
    const r = await c.chain(leader).submit(c.configUpdate(leader, (v) => ({ ...v, batchTimeoutMs: 900 }), forger));
    expect(r.status).toBe('FORBIDDEN');
    expect(r.info).toMatch(
      /policy for \[Value\] {2}\/Channel\/Orderer\/BatchTimeout not satisfied: mod_policy \/Channel\/Orderer\/Admins: .*\(signatures not counted: signature 0 \(.*OrdererMSP\): signature does not verify\)/,
    );
  });

  it.each([{ compute: 'in-thread compute' }, { compute: 'worker pool' }])(
    'an organization added by config may submit from the next block on, and the config survives a restart of every node ($compute)',
    async ({ compute }) => {
      const pool = compute === 'worker pool' ? new WorkerPool({ maxThreads: 1 }) : undefined;
      onTestFinished(() => pool?.close());
      c = new ConfigCluster(3, pool);
      await c.start([1, 2, 3]);
      const leader = await c.waitForLeader();
      const org2 = new DevOrganization({ mspId: 'Org2MSP', algorithm: 'ecdsa-p256', provider: createCryptoProvider('native') });
      const member = org2.issueMember('client2');
      const client2: EnvelopeCreator = {
        signer: member.signer,
        serializedIdentity: encodeSerializedIdentity({ mspid: member.mspId, idBytes: member.idBytes }),
      };
      const envelopeOf = (txId: string) =>
        createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: CHANNEL, data: new Uint8Array(50), creator: client2, txId });

      const before = await c.chain(leader).submit(envelopeOf('org2-early'));
      expect(before.status).toBe('FORBIDDEN');

      const org2Values = {
        mspId: 'Org2MSP',
        sections: ['application' as const],
        rootCerts: [org2.root.certPem],
        intermediateCerts: [],
        adminCerts: [],
        tlsRootCerts: [],
        tlsIntermediateCerts: [],
      };
      // /Channel/Application changes need Org1MSP's admin, the batch size the orderer org's.
      const change = (v: ChannelConfigInput) => ({ ...v, organizations: [...v.organizations, org2Values], batchSize: { ...v.batchSize, maxMessageCount: 2 } });
      const ordererOnly = await c.chain(leader).submit(c.configUpdate(leader, change));
      expect(ordererOnly.status).toBe('FORBIDDEN');
      expect(ordererOnly.info).toContain(
        "policy for [Group]  /Channel/Application not satisfied: mod_policy /Channel/Application/Admins: implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of the 'Admins' sub-policies to be satisfied",
      );
      const update = c.configUpdate(leader, change, [c.admin, c.appAdmin]);
      expect(await c.chain(leader).submit(update)).toEqual({ status: 'SUCCESS', info: '' });
      await c.tickUntil(() => [1, 2, 3].every((id) => configBlocks(c!, id).length === 1), 60, 'the config block everywhere');
      for (const id of [1, 2, 3]) expect(await c.chain(id).submit(envelopeOf(`org2-${id}`))).toEqual({ status: 'SUCCESS', info: '' });
      await c.tickUntil(() => [1, 2, 3].every((id) => c!.txIds(id).length === 3), 60, 'the three org2 envelopes everywhere');

      // Restart every node: the last config block's values (new org, batch size 2) apply again, from the ledger.
      for (const id of [1, 2, 3]) await c.stop(id);
      await c.start([1, 2, 3]);
      const next = await c.waitForLeader();
      const results = await Promise.all(['a', 'b', 'c', 'd'].map((t) => c!.chain(next).submit(envelopeOf(`org2-after-${t}`))));
      for (const r of results) expect(r).toEqual({ status: 'SUCCESS', info: '' });
      await c.tickUntil(() => [1, 2, 3].every((id) => c!.txIds(id).length === 7), 60, 'the envelopes after the restart everywhere');
      const height = c.chain(next).height();
      const lastTwo = [height - 2, height - 1].map((n) => decodeBlock(c!.chain(next).block(n)).data.length);
      expect(lastTwo).toEqual([2, 2]); // cut at 2 by count, without waiting for the batch timeout
      for (const id of [1, 2, 3]) expect(c.headers(id)).toEqual(c.headers(next));
    },
  );

  it('a smaller SnapshotIntervalSize from config makes every node snapshot at the next block', async () => {
    const { c, leader } = await started();
    const snapshotBlock = async (id: number) => c!.nodes.get(id)!.registry.getSingleMetricAsString('consensus_etcdraft_snapshot_block_number');
    for (const id of [1, 2, 3]) expect(await snapshotBlock(id)).not.toMatch(/config-test"\} [1-9]/);
    const update = c.configUpdate(leader, (v) => ({ ...v, raftOptions: { ...v.raftOptions!, snapshotIntervalSizeBytes: 1024 } }));
    expect(await c.chain(leader).submit(update)).toEqual({ status: 'SUCCESS', info: '' });
    await c.tickUntil(() => [1, 2, 3].every((id) => configBlocks(c!, id).length === 1), 60, 'the config block everywhere');
    for (const r of await Promise.all([1, 2, 3].map(() => c!.chain(leader).submit(c!.envelope().bytes)))) expect(r.status).toBe('SUCCESS');
    await c.tickUntil(() => [1, 2, 3].every((id) => c!.txIds(id).length === 3), 60, 'the envelopes everywhere');
    const last = c.chain(leader).height() - 1;
    await c.settle();
    for (const id of [1, 2, 3]) {
      expect(await snapshotBlock(id)).toMatch(new RegExp(`config-test"\\} ${last}\\b`));
    }
  });
});
