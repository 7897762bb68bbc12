// VerifyBatcher: concurrent submits become few, larger verifyBatch calls;
// never more calls in flight than the limit; beyond waitingMax, refused.

import { describe, expect, it } from 'vitest';
import type { ChainCompute, EnvelopeVerdict, VerificationContext } from '../../src/chain/compute/compute.js';
import { ServiceUnavailableError } from '../../src/chain/errors.js';
import { VerifyBatcher } from '../../src/chain/submit/verifyBatcher.js';

const context: VerificationContext = { channelId: 'ch', engine: 'native', hashAlgorithm: 'sha256', signatureAlgorithm: 'ecdsa-p256', organizations: [] };

/** A compute whose verifyBatch calls wait until the test releases them; verdict i says which envelope it judged. */
class GatedCompute implements ChainCompute {
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

  dataHash(): Promise<Uint8Array> {
    throw new Error('not used');
  }

  signBlock(): never {
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
