// A client's retry and a committed acknowledgement on a 3-node channel: the
// leader never orders a tx id twice (in flight or committed, submitted to it
// or forwarded by a follower), the answer says which copy was ordered, and
// with `ack: 'committed'` SUCCESS comes only once the block is committed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubmitResult } from '../../src/chain/index.js';
import { TestCluster } from './harness.js';

let c: TestCluster;
let leader: number;
let follower: number;

beforeAll(async () => {
  c = new TestCluster({ options: { batchTimeoutMs: 300, batchSize: { maxMessageCount: 10, absoluteMaxBytes: 1 << 20, preferredMaxBytes: 1 << 19 } } });
  await c.start();
  leader = await c.waitForLeader();
  follower = c.ids.find((id) => id !== leader)!;
});

afterAll(async () => {
  await c.close();
});

const copy = (bytes: Uint8Array): Uint8Array => bytes.slice();
const occurrences = (id: number, txId: string): number => c.txIds(id).filter((t) => t === txId).length;

/** Ticks until every node's ledger holds `txId`. */
async function committedEverywhere(txId: string): Promise<void> {
  await c.tickUntil(() => c.ids.every((id) => occurrences(id, txId) > 0), 40, `${txId} on every node`);
}

describe('no duplicate on retry', () => {
  it('the same envelope twice in flight (leader and follower): one ordered, the other answered as a duplicate being ordered', async () => {
    const { bytes, txId } = c.envelope();
    const answers = await Promise.all([c.chain(leader).submit(copy(bytes)), c.chain(follower).submit(copy(bytes)), c.chain(leader).submit(copy(bytes))]);
    expect(answers.map((a) => a.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
    expect(answers.filter((a) => a.info === '')).toHaveLength(1);
    for (const a of answers.filter((x) => x.info !== '')) expect(a.info).toBe(`duplicate: tx ${txId} is already being ordered (not yet committed)`);
    await committedEverywhere(txId);
    await c.tick(5);
    for (const id of c.ids) expect(occurrences(id, txId)).toBe(1);
  });

  it('a retry of a committed envelope, through a follower or the leader, names the block that holds it', async () => {
    const { bytes, txId } = c.envelope();
    expect(await c.chain(follower).submit(copy(bytes))).toEqual({ status: 'SUCCESS', info: '' });
    await committedEverywhere(txId);
    const block = c.chain(leader).height() - 1;
    const expected: SubmitResult = { status: 'SUCCESS', info: `duplicate: tx ${txId} is already ordered in block ${block}` };
    expect(await c.chain(follower).submit(copy(bytes))).toEqual(expected);
    expect(await c.chain(leader).submit(copy(bytes))).toEqual(expected);
    await c.tick(5);
    for (const id of c.ids) expect(occurrences(id, txId)).toBe(1);
  });
});

describe('committed acknowledgement', () => {
  it('answers only once the block is committed, naming it (submitted to a follower)', async () => {
    const { bytes, txId } = c.envelope();
    let answer: SubmitResult | undefined;
    const pending = c
      .chain(follower)
      .submit(copy(bytes), { ack: 'committed', ackTimeoutMs: 60_000 })
      .then((a) => (answer = a));
    await c.settle();
    expect(answer).toBeUndefined(); // accepted by the leader, but the batch timer has not cut it
    await committedEverywhere(txId);
    await pending;
    const block = c.chain(follower).height() - 1; // the only envelope submitted: the last block holds it
    expect(answer).toEqual({ status: 'SUCCESS', info: `committed in block ${block}` });
  });

  it("a duplicate in flight waits for the first copy's block; a committed one answers at once", async () => {
    const { bytes, txId } = c.envelope();
    const first = c.chain(leader).submit(copy(bytes), { ack: 'committed', ackTimeoutMs: 60_000 });
    const retry = c.chain(follower).submit(copy(bytes), { ack: 'committed', ackTimeoutMs: 60_000 });
    await committedEverywhere(txId);
    const block = c.chain(leader).height() - 1;
    expect(await first).toEqual({ status: 'SUCCESS', info: `committed in block ${block}` });
    expect(await retry).toEqual({ status: 'SUCCESS', info: `committed in block ${block}` });
    expect(await c.chain(follower).submit(copy(bytes), { ack: 'committed' })).toEqual({
      status: 'SUCCESS',
      info: `duplicate: tx ${txId} is already ordered in block ${block}`,
    });
  });

  it('SERVICE_UNAVAILABLE when the block does not commit in time (leader cut off), and a later retry is not ordered twice', async () => {
    const { bytes, txId } = c.envelope();
    c.network.isolate(leader);
    const answer = await c.chain(leader).submit(copy(bytes), { ack: 'committed', ackTimeoutMs: 50 });
    expect(answer.status).toBe('SERVICE_UNAVAILABLE');
    expect(answer.info).toMatch(/was not committed within 50 ms/);
    c.network.heal();
    const now = await c.waitForLeader(200);
    await c.tick(10);
    const retrying = c.chain(now).submit(copy(bytes), { ack: 'committed', ackTimeoutMs: 60_000 });
    await committedEverywhere(txId);
    const retry = await retrying;
    expect(retry.status).toBe('SUCCESS');
    expect(retry.info).toMatch(/^(committed in block \d+|duplicate: tx \S+ is already ordered in block \d+)$/);
    await c.tick(5);
    for (const id of c.ids) expect(occurrences(id, txId)).toBe(1);
  });
});
