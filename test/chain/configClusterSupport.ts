// Checks shared by the in-process membership tests on a ConfigCluster:
// submitting envelopes that must all be acknowledged, the ledger
// check (same blocks everywhere, every acknowledged envelope exactly once),
// and the Raft voters a node applied.

import { expect } from 'vitest';
import type { ConfigCluster } from './configCluster.js';

/** Submits `count` envelopes round-robin over `via`; all must be acknowledged. Returns their tx ids. */
export async function submitSome(cluster: ConfigCluster, via: readonly number[], count: number): Promise<string[]> {
  const envelopes = Array.from({ length: count }, () => cluster.envelope());
  const results = await Promise.all(envelopes.map((e, i) => cluster.chain(via[i % via.length]!).submit(e.bytes)));
  for (const r of results) expect(r).toEqual({ status: 'SUCCESS', info: '' });
  return envelopes.map((e) => e.txId);
}

/** Ticks until the nodes of `ids` hold every acknowledged envelope at equal heights; then: same blocks on each, every acknowledged tx id exactly once. */
export async function expectSameLedgers(cluster: ConfigCluster, ids: readonly number[], acknowledged: readonly string[]): Promise<void> {
  await cluster.tickUntil(() => ids.every((id) => cluster.txIds(id).length >= acknowledged.length), 120, 'every acknowledged envelope on every node');
  await cluster.tickUntil(() => ids.every((id) => cluster.chain(id).height() === cluster.chain(ids[0]!).height()), 60, 'equal heights');
  const reference = cluster.headers(ids[0]!);
  for (const id of ids) {
    expect(cluster.headers(id)).toEqual(reference);
    expect(cluster.txIds(id)).toHaveLength(acknowledged.length);
    expect(new Set(cluster.txIds(id))).toEqual(new Set(acknowledged));
  }
}

/** Applied Raft voters of node `id`, as its consensus_etcdraft_cluster_size gauge reports them. */
export async function clusterSize(cluster: ConfigCluster, id: number): Promise<number> {
  const text = await cluster.nodes.get(id)!.registry.getSingleMetricAsString('consensus_etcdraft_cluster_size');
  const match = /consensus_etcdraft_cluster_size\{channel="[^"]*"\} (\d+)/.exec(text);
  if (match === null) throw new Error(`node ${id} reports no cluster size: ${text}`);
  return Number(match[1]);
}
