// Seeded fault scenarios: submits to random nodes while random nodes are cut
// off and healed (no node crashes). Whatever happens, every node ends with the
// same hash-chained ledger, every submit is answered, no envelope is ordered
// twice, and no envelope answered SUCCESS is lost: not the ones a deposed
// leader held unproposed (handed over), nor the ones in its proposals that lost
// to the new leader's blocks (ordered again) — Fabric loses both. With clean
// node restarts mixed in, the same holds except that a stopped node's
// accepted, unproposed envelopes may be lost (as in Fabric).

import { afterEach, describe, expect, it } from 'vitest';
import { decodeBlock, headerHash } from '../../src/block/index.js';
import type { SubmitResult } from '../../src/chain/index.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { seededRandom } from '../../src/raft/index.js';
import { TestCluster } from './harness.js';

const sha256 = createCryptoProvider('native').hasher('sha256');
let c: TestCluster | undefined;

afterEach(async () => {
  await c?.close();
  c = undefined;
});

async function scenario(seed: number, withRestarts = false): Promise<void> {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  c = new TestCluster({
    options: { maxInflightBlocks: 2, batchTimeoutMs: 300, batchSize: { maxMessageCount: 4, absoluteMaxBytes: 1 << 20, preferredMaxBytes: 1 << 19 } },
  });
  await c.start();
  await c.waitForLeader();
  const answers: Promise<SubmitResult>[] = [];
  const submitted: string[] = [];
  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < 8; i++) {
      const { bytes, txId } = c.envelope();
      submitted.push(txId);
      answers.push(c.chain(pick(c.ids)).submit(bytes));
    }
    await c.tick(1 + Math.floor(random() * 3));
    const victim = pick(c.ids);
    if (withRestarts && random() < 0.5) {
      await c.stop(victim); // a clean stop: what it accepted and never proposed is lost, as in Fabric
      await c.tick(Math.floor(random() * 25));
      await c.restart(victim);
    } else {
      c.network.isolate(victim);
      await c.tick(Math.floor(random() * 25));
      c.network.heal();
    }
    await c.tick(Math.floor(random() * 5));
  }
  await c.waitForLeader(100);
  // Every answer arrives (submits waiting on a deposed leader are routed again).
  for (let i = 0; i < 60 && !(await allSettled(answers)); i++) await c.tick();
  const results = await Promise.all(answers);
  // Quiet: nothing held, waiting, unproposed or in flight anywhere, and every ledger at the same height.
  const quiet = () =>
    new Set(c!.ids.map((id) => c!.chain(id).height())).size === 1 &&
    c!.ids.every((id) => {
      const s = c!.chain(id).stats();
      return s.heldForHandover === 0 && s.waitingSubmits === 0 && s.unproposedEnvelopes === 0 && s.inflightBlocks === 0;
    });
  await c.tickUntil(quiet, 150, 'a quiet cluster');

  const ledger = c.txIds(1);
  for (const id of c.ids) expect(c.txIds(id)).toEqual(ledger);
  expect(new Set(ledger).size).toBe(ledger.length); // nothing twice
  for (const tx of ledger) expect(submitted).toContain(tx);
  for (let n = 1; n < c.chain(1).height(); n++) {
    const previous = decodeBlock(c.chain(1).block(n - 1)).header;
    expect(Buffer.from(decodeBlock(c.chain(1).block(n)).header.previousHash).equals(Buffer.from(headerHash(sha256, previous)))).toBe(true);
  }
  expect(results.every((r) => r.status === 'SUCCESS' || r.status === 'SERVICE_UNAVAILABLE')).toBe(true);
  const succeeded = submitted.filter((_, i) => results[i]!.status === 'SUCCESS');
  expect(succeeded.length).toBeGreaterThan(0);
  if (!withRestarts) expect(succeeded.filter((tx) => !ledger.includes(tx))).toEqual([]);
}

async function allSettled(promises: Promise<unknown>[]): Promise<boolean> {
  let pending = promises.length;
  await Promise.race([Promise.allSettled(promises).then(() => (pending = 0)), new Promise((resolve) => setImmediate(resolve))]);
  return pending === 0;
}

describe('chain under seeded faults', () => {
  for (const seed of Array.from({ length: Number(process.env.CHAIN_FAULT_SEEDS ?? 8) }, (_, i) => 1000 + i)) {
    it(`seed ${seed} with node restarts: identical hash-chained ledgers, nothing ordered twice, every submit answered`, async () => {
      await scenario(seed, true);
    });
  }

  for (const seed of Array.from({ length: Number(process.env.CHAIN_FAULT_SEEDS ?? 8) }, (_, i) => i + 1)) {
    it(`seed ${seed}: identical hash-chained ledgers, nothing ordered twice, every submit answered`, async () => {
      await scenario(seed);
    });
  }
});
