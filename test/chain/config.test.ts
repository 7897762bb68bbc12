// Config transactions through the chain: validated by the leader (refusals
// name the rule), ordered alone in their own block, applied on every node.

import { afterEach, describe, expect, it } from 'vitest';
import { decodeBlock, isConfigBlock, readBlockSignatures } from '../../src/block/index.js';
import { ConfigCluster } from './configCluster.js';

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

  it('refuses, naming the rule: a stale sequence, two consenter changes, a non-admin submitter, a CONFIG envelope with a bad signature', async () => {
    const { c, leader } = await started();
    const first = c.configUpdate(leader, (v) => ({ ...v, batchTimeoutMs: 700 }));
    const stale = c.configUpdate(leader, (v) => ({ ...v, batchTimeoutMs: 800 })); // same base sequence as `first`
    expect((await c.chain(leader).submit(first)).status).toBe('SUCCESS');
    await c.tickUntil(() => [1, 2, 3].every((id) => configBlocks(c!, id).length === 1), 60, 'the first config block everywhere');

    const staleResult = await c.chain(leader).submit(stale);
    expect(staleResult.status).toBe('BAD_REQUEST');
    expect(staleResult.info).toMatch(/\(sequence\)/);

    const two = c.configUpdate(leader, (v) => ({ ...v, consenters: [...v.consenters, c!.channel.consenter(4), c!.channel.consenter(5)] }));
    const twoResult = await c.chain(leader).submit(two);
    expect(twoResult.status).toBe('BAD_REQUEST');
    expect(twoResult.info).toMatch(/\(one-consenter-change\)/);

    const byClient = c.configUpdate(leader, (v) => ({ ...v, batchTimeoutMs: 900 }), c.client);
    const clientResult = await c.chain(leader).submit(byClient);
    expect(clientResult.status).toBe('FORBIDDEN');
    expect(clientResult.info).toMatch(/\(submitter-not-admin\)/);

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
});
