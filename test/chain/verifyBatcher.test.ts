// VerifyBatcher: concurrent submits become few, larger verifyBatch calls;
// never more calls in flight than the limit; beyond waitingMax, refused.

import { describe, expect, it } from 'vitest';
import type { ChainCompute, EnvelopeVerdict, VerificationContext } from '../../src/chain/compute/compute.js';
import { ServiceUnavailableError } from '../../src/chain/errors.js';
import { VerifyBatcher } from '../../src/chain/submit/verifyBatcher.js';

const context: VerificationContext = { channelId: 'ch', engine: 'native', hashAlgorithm: 'sha256', signatureAlgorithm: 'ecdsa-p256', organizations: [] };

/** A compute whose verifyBatch calls wait until the test releases them; verdict i says which envelope it judged. */
class GatedCompute implements ChainCompute {
  constructor(readonly threads = 1) {}
  readonly calls: number[] = [];
  inFlight = 0;
  peakInFlight = 0;
  readonly #gates: (() => void)[] = [];

  async verifyBatch(_context: VerificationContext, envelopes: readonly Uint8Array[]): Promise<readonly EnvelopeVerdict[]> {
    this.calls.push(envelopes.length);
    this.inFlight++;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    await new Promise<void>((resolve) => this.#gates.push(resolve));
    this.inFlight--;
    return envelopes.map((e) => ({
      ok: true,
      channelId: 'ch',
      txId: String(e[0]),
      type: 3,
      sizeBytes: e.length,
      creatorValidUntilMs: Number.MAX_SAFE_INTEGER,
    }));
  }

  releaseAll(): void {
    for (const gate of this.#gates.splice(0)) gate();
  }

  blockEntry(): never {
    throw new Error('not used');
  }

  signBlocks(): never {
    throw new Error('not used');
  }

  ordererIdentity(): never {
    throw new Error('not used');
  }
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('VerifyBatcher', () => {
  it('batches concurrent envelopes, keeps at most tasksInFlightMax calls running, and answers each envelope with its own verdict', async () => {
    const compute = new GatedCompute();
    const batcher = new VerifyBatcher(compute, context, { batchMax: 4, batchMin: 1, tasksInFlightMax: 2, waitingMax: 100 });
    const first = Array.from({ length: 10 }, (_, i) => batcher.verify(Uint8Array.of(i)));
    await turn();
    expect(compute.calls).toEqual([4, 4]); // 2 envelopes wait: both calls are in flight
    const later = Array.from({ length: 5 }, (_, i) => batcher.verify(Uint8Array.of(10 + i)));
    await turn();
    expect(compute.calls).toEqual([4, 4]);
    for (let round = 0; round < 6 && compute.calls.reduce((a, b) => a + b, 0) < 15; round++) {
      compute.releaseAll();
      await turn();
      await turn();
    }
    compute.releaseAll();
    const verdicts = await Promise.all([...first, ...later]);
    expect(verdicts.map((v) => (v.ok ? v.txId : '-'))).toEqual(Array.from({ length: 15 }, (_, i) => String(i)));
    expect(compute.peakInFlight).toBe(2);
    expect(compute.calls.reduce((a, b) => a + b, 0)).toBe(15);
    expect(Math.max(...compute.calls)).toBeLessThanOrEqual(4);
  });

  it('spreads a burst evenly over the idle threads, no call below batchMin, and answers the burst with one verdict per envelope in order', async () => {
    const compute = new GatedCompute(2);
    const batcher = new VerifyBatcher(compute, context, { batchMax: 256, batchMin: 16, tasksInFlightMax: 4, waitingMax: 4096 });
    const burst = batcher.verifyAll(Array.from({ length: 300 }, (_, i) => Uint8Array.of(i & 0xff, i >> 8)));
    await turn();
    expect(compute.calls).toEqual([150, 150]); // not 256 + 44: both threads get half
    const small = batcher.verifyAll(Array.from({ length: 20 }, (_, i) => Uint8Array.of(i)));
    await turn();
    expect(compute.calls).toEqual([150, 150, 20]); // 20 is one call: two would be below batchMin
    const large = batcher.verifyAll(Array.from({ length: 1000 }, (_, i) => Uint8Array.of(i & 0xff)));
    await turn();
    expect(compute.calls).toEqual([150, 150, 20, 256]); // the fourth call in flight; the rest waits for a free one
    for (let round = 0; round < 10 && compute.calls.reduce((a, b) => a + b, 0) < 1320; round++) {
      compute.releaseAll();
      await turn();
      await turn();
    }
    compute.releaseAll();
    const verdicts = await burst;
    expect(verdicts.map((v) => (v.ok ? v.txId : '-'))).toEqual(Array.from({ length: 300 }, (_, i) => String(i & 0xff)));
    expect(await small).toHaveLength(20);
    expect(await large).toHaveLength(1000);
    expect(compute.peakInFlight).toBeLessThanOrEqual(4);
    expect(Math.max(...compute.calls)).toBeLessThanOrEqual(256);
  });

  it('refuses a burst whole when it does not fit in the wait, and rejects each envelope of a failed call', async () => {
    const compute = new GatedCompute(2);
    const batcher = new VerifyBatcher(compute, context, { batchMax: 8, batchMin: 4, tasksInFlightMax: 2, waitingMax: 10 });
    const fits = batcher.verifyAll(Array.from({ length: 6 }, (_, i) => Uint8Array.of(i)));
    await expect(batcher.verifyAll(Array.from({ length: 5 }, (_, i) => Uint8Array.of(i)))).rejects.toBeInstanceOf(ServiceUnavailableError);
    await turn();
    compute.releaseAll();
    expect(await fits).toHaveLength(6);
    const failing = new VerifyBatcher(
      { ...compute, threads: 2, verifyBatch: async () => Promise.reject(new Error('pool closed')) } as unknown as ChainCompute,
      context,
      { batchMax: 8, batchMin: 4, tasksInFlightMax: 2, waitingMax: 10 },
    );
    await expect(failing.verifyAll(Array.from({ length: 9 }, (_, i) => Uint8Array.of(i)))).rejects.toThrow('pool closed');
  });

  it('refuses with SERVICE_UNAVAILABLE beyond waitingMax envelopes', async () => {
    const compute = new GatedCompute();
    const batcher = new VerifyBatcher(compute, context, { batchMax: 2, batchMin: 1, tasksInFlightMax: 1, waitingMax: 3 });
    const accepted = [batcher.verify(Uint8Array.of(1)), batcher.verify(Uint8Array.of(2)), batcher.verify(Uint8Array.of(3))];
    await expect(batcher.verify(Uint8Array.of(4))).rejects.toBeInstanceOf(ServiceUnavailableError);
    await turn();
    for (let i = 0; i < 4; i++) {
      compute.releaseAll();
      await turn();
    }
    expect((await Promise.all(accepted)).length).toBe(3);
  });
});
