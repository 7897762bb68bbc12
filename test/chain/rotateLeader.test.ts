// A config update rotating the Raft LEADER's own TLS certificate,
// as Fabric's etcdraft "certificate of Raft leader is being rotated, attempt
// leader transfer before reconfiguring communication"). In process, with the
// real transport's certificate pinning simulated on the memory network: a
// link between two nodes carries nothing once either pins, for the other, a
// certificate other than the one that node presents (it presents its old one
// until it is "restarted" with the new one). The leader must hand leadership
// over by MsgTimeoutNow before the peers pin its new certificate — no
// election timeout — and the peers pin it once the leadership moved.

import { afterEach, describe, expect, it } from 'vitest';
import { MessageType, type Message } from '../../src/raft/index.js';
import { CHANNEL, ConfigCluster } from './configCluster.js';
import { expectSameLedgers, submitSome } from './configClusterSupport.js';

const ELECTION_TICKS = 10;

let c: ConfigCluster | undefined;

afterEach(async () => {
  await c?.close();
  c = undefined;
});

interface Pinning {
  /** The certificate each node presents now. */
  readonly presented: Map<number, string>;
  /** Raft messages sent, as "from>to:type". */
  readonly sent: string[];
  /** Messages dropped because of a pin mismatch. */
  refused: number;
}

/** Pins every node's peers as its transport is told (updatePeers), and cuts links whose pins do not match the presented certificates. */
function simulatePinning(cluster: ConfigCluster, ids: readonly number[]): Pinning {
  const genesisCert = (id: number): string => cluster.genesisValues.consenters[id - 1]!.clientTlsCertPem;
  const state: Pinning = { presented: new Map(ids.map((id) => [id, genesisCert(id)])), sent: [], refused: 0 };
  const pins = new Map(ids.map((id) => [id, new Map(ids.filter((p) => p !== id).map((p) => [p, genesisCert(p)]))]));
  const linked = (a: number, b: number): boolean => pins.get(a)!.get(b) === state.presented.get(b) && pins.get(b)!.get(a) === state.presented.get(a);
  for (const id of ids) {
    const transport = cluster.nodes.get(id)!.transport;
    const record = transport.updatePeers.bind(transport);
    transport.updatePeers = (peers) => {
      record(peers);
      for (const peer of peers) pins.get(id)!.set(peer.id, peer.tlsCertPem);
    };
    const send = transport.sendConsensus.bind(transport);
    transport.sendConsensus = (channelId: string, to: number, message: Message) => {
      if (channelId === CHANNEL) state.sent.push(`${id}>${to}:${MessageType[message.type]}`);
      if (!linked(id, to)) {
        state.refused++;
        return;
      }
      send(channelId, to, message);
    };
    const forward = transport.forwardSubmit.bind(transport);
    transport.forwardSubmit = async (channelId: string, to: number, envelope: Uint8Array) => {
      if (!linked(id, to)) throw new Error(`node ${to} refuses node ${id}'s certificate`);
      return forward(channelId, to, envelope);
    };
  }
  return state;
}

/** Submits the config update giving node `rotated` a fresh certificate; returns that certificate. */
async function rotate(cluster: ConfigCluster, via: number, rotated: number): Promise<string> {
  const fresh = cluster.channel.consenter(rotated);
  const update = cluster.configUpdate(via, (v) => ({ ...v, consenters: v.consenters.map((x, i) => (i === rotated - 1 ? fresh : x)) }));
  expect(await cluster.chain(via).submit(update)).toEqual({ status: 'SUCCESS', info: '' });
  return fresh.clientTlsCertPem;
}

/** Ticks until every node of `ids` knows the same leader. */
async function tickUntilLedAlike(cluster: ConfigCluster, ids: readonly number[]): Promise<void> {
  const led = (): boolean => ids.every((id) => cluster.chain(id).status().leaderId === cluster.leaderId() && cluster.leaderId() !== 0);
  await cluster.tickUntil(led, 4 * ELECTION_TICKS, `nodes ${ids.join(',')} follow one leader`);
}

/** The cert node `id`'s transport pins for `peer` now (its last updatePeers). */
function pinnedBy(cluster: ConfigCluster, id: number, peer: number): string | undefined {
  return cluster.nodes
    .get(id)!
    .peerUpdates.at(-1)
    ?.find((p) => p.id === peer)?.tlsCertPem;
}

describe("chain: rotating the Raft leader's own certificate", () => {
  it('the leader hands over by MsgTimeoutNow before the peers pin its new certificate: another leader within an election timeout, nothing lost', async () => {
    c = new ConfigCluster(3);
    await c.start([1, 2, 3]);
    const pinning = simulatePinning(c, [1, 2, 3]);
    const leader = await c.waitForLeader();
    const followers = [1, 2, 3].filter((id) => id !== leader);
    const acked = await submitSome(c, [1, 2, 3], 12);
    const termBefore = c.chain(leader).status().raftTerm;

    const fresh = await rotate(c, leader, leader);
    const committedTicks = await c.tickUntil(
      () => [1, 2, 3].every((id) => c!.currentConfig(id).values.sequence === 1),
      40,
      'the rotation committed everywhere',
    );
    // Another node serves as leader in fewer ticks than an election timeout (counted from the submit).
    const movedTicks = await c.tickUntil(() => c!.leaderId() !== 0 && c!.leaderId() !== leader, ELECTION_TICKS, 'another serving leader');
    expect(committedTicks + movedTicks).toBeLessThan(ELECTION_TICKS);
    const next = c.leaderId();
    expect(followers).toContain(next);
    expect(pinning.sent).toContain(`${leader}>${next}:MsgTimeoutNow`);
    expect(c.chain(next).status().raftTerm).toBe(termBefore + 1);

    // Once the leadership moved, the peers pin the new certificate and refuse the old one.
    await c.tickUntil(() => followers.every((id) => pinnedBy(c!, id, leader) === fresh), 5, 'the followers pin the rotated certificate');
    const more = await submitSome(c, followers, 6);
    expect(pinning.refused).toBeGreaterThan(0);

    // "Restart" the old leader with its new certificate: it replicates again.
    pinning.presented.set(leader, fresh);
    await tickUntilLedAlike(c, [1, 2, 3]);
    const after = await submitSome(c, [1, 2, 3], 9);
    await expectSameLedgers(c, [1, 2, 3], [...acked, ...more, ...after]);
  }, 60_000);

  it('a rotated follower is pinned at once and the leader stays', async () => {
    c = new ConfigCluster(3);
    await c.start([1, 2, 3]);
    const pinning = simulatePinning(c, [1, 2, 3]);
    const leader = await c.waitForLeader();
    const rotated = [1, 2, 3].find((id) => id !== leader)!;
    const fresh = await rotate(c, leader, rotated);
    await c.tickUntil(() => [1, 2, 3].every((id) => c!.currentConfig(id).values.sequence === 1), 40, 'the rotation committed everywhere');
    expect([1, 2, 3].filter((id) => id !== rotated).map((id) => pinnedBy(c!, id, rotated))).toEqual([fresh, fresh]);
    expect(c.leaderId()).toBe(leader);
    expect(pinning.sent.filter((s) => s.endsWith(':MsgTimeoutNow'))).toEqual([]);
    pinning.presented.set(rotated, fresh);
    await tickUntilLedAlike(c, [1, 2, 3]);
    const acked = await submitSome(c, [1, 2, 3], 9);
    await expectSameLedgers(c, [1, 2, 3], acked);
  }, 60_000);

  it('when the handover cannot happen, the peers pin the new certificate after twice the election timeout and elect another leader', async () => {
    c = new ConfigCluster(3);
    await c.start([1, 2, 3]);
    const pinning = simulatePinning(c, [1, 2, 3]);
    const leader = await c.waitForLeader();
    const followers = [1, 2, 3].filter((id) => id !== leader);
    // The leader's MsgTimeoutNow never arrives.
    const transport = c.nodes.get(leader)!.transport;
    const send = transport.sendConsensus.bind(transport);
    transport.sendConsensus = (channelId, to, message) => {
      if (message.type !== MessageType.MsgTimeoutNow) send(channelId, to, message);
    };
    const fresh = await rotate(c, leader, leader);
    await c.tickUntil(() => followers.every((id) => c!.currentConfig(id).values.sequence === 1), 40, 'the rotation committed on the followers');
    // Held back while the leader tries; bounded.
    expect(followers.map((id) => pinnedBy(c!, id, leader))).not.toContain(fresh);
    await c.tickUntil(() => followers.every((id) => pinnedBy(c!, id, leader) === fresh), 2 * ELECTION_TICKS + 2, 'the followers pin the rotated certificate');
    await c.tickUntil(() => followers.includes(c!.leaderId()), 4 * ELECTION_TICKS, 'a follower leads');
    expect(pinning.refused).toBeGreaterThan(0);
    pinning.presented.set(leader, fresh);
    await tickUntilLedAlike(c, [1, 2, 3]);
    const acked = await submitSome(c, [1, 2, 3], 9);
    await expectSameLedgers(c, [1, 2, 3], acked);
  }, 60_000);
});
