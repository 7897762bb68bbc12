// Chain.handOverLeadership(), the first step of a node's SIGTERM: the leader
// hands leadership to a follower and keeps running as a follower, so the
// clients still connected to it during the client listener's grace period
// are served (their envelopes are forwarded to the new leader) until close().

import { afterEach, describe, expect, it } from 'vitest';
import { TestCluster } from './harness.js';

let c: TestCluster | undefined;

afterEach(async () => {
  await c?.close();
  c = undefined;
});

describe('chain: handOverLeadership', () => {
  it('moves leadership to another node and keeps the old leader serving as a follower until close()', async () => {
    c = new TestCluster();
    await c.start();
    const old = await c.waitForLeader();
    let handedOver = false;
    const handing = c
      .chain(old)
      .handOverLeadership()
      .then(() => void (handedOver = true));
    await c.tickUntil(() => handedOver, 40, 'the handoff');
    await handing;
    const next = await c.waitForLeader();
    expect(next).not.toBe(old);
    expect(c.chain(old).status()).toMatchObject({ isLeader: false, leaderId: next });

    // Still running: envelopes submitted to the old leader are forwarded and ordered.
    const envelopes = Array.from({ length: 6 }, () => c!.envelope());
    const results = await Promise.all(envelopes.map((e) => c!.chain(old).submit(e.bytes)));
    for (const r of results) expect(r).toEqual({ status: 'SUCCESS', info: '' });
    await c.tickUntil(() => c!.ids.every((id) => c!.txIds(id).length === envelopes.length), 60, 'the envelopes on every node');
    for (const id of c.ids) expect(c.txIds(id)).toEqual(envelopes.map((e) => e.txId));

    // close({transferLeadership}) afterwards just closes it (it no longer leads).
    await c.chain(old).close({ transferLeadership: true });
    await c.tick(3);
    expect(c.leaderId()).toBe(next);
  });

  it('on a follower resolves at once and changes nothing', async () => {
    c = new TestCluster();
    await c.start();
    const leader = await c.waitForLeader();
    const follower = c.ids.find((id) => id !== leader)!;
    await c.chain(follower).handOverLeadership();
    await c.tick(3);
    expect(c.leaderId()).toBe(leader);
    expect((await c.chain(follower).submit(c.envelope().bytes)).status).toBe('SUCCESS');
  });
});
