// Where the harness takes envelopes from: signed ahead, before the clock
// starts, by a few signing processes (signerPool.ts); when a run needs more
// than were signed ahead (closed loop, a long ramp) they sign more on the
// fly, in batches, while the queue still holds a reserve. Every envelope is
// used once: every tx id is unique.

import os from 'node:os';
import { SignerPool } from './signerPool.js';
import type { SignerSpec } from './signing.js';

const BATCH = 2000;

export interface SupplyStats {
  /** Envelopes signed before the clock started, and while the run went on. */
  readonly signedAhead: number;
  readonly signedDuringRun: number;
  /** Times the sender found the queue empty (the signers were the bottleneck). */
  readonly starved: number;
  readonly signingMs: number;
}

/** Where take() puts the next envelope: bytes[start..end) is its gRPC message (prefix and envelope). */
export interface TakenEnvelope {
  bytes: Buffer;
  start: number;
  end: number;
  /** Its tx id's key (txKey.ts). */
  txKey: number;
}

export class EnvelopeSupply {
  readonly #spec: SignerSpec;
  readonly #pool: SignerPool;
  /** Signed batches as they came: one buffer of framed envelopes each, with their ends and tx keys (no object per envelope). */
  readonly #batches: { bytes: Buffer; ends: Uint32Array; keys: Float64Array }[] = [];
  #batchIndex = 0;
  #offsetInBatch = 0;
  #queued = 0;
  #refilling = 0;
  #running = false;
  #refill = true;
  #signedAhead = 0;
  #signedDuringRun = 0;
  #starved = 0;
  #signingMs = 0;
  #failure: Error | undefined;

  readonly #ownsPool: boolean;

  /** `processes` signing processes of its own, or those of another supply (several channels share them). */
  constructor(spec: SignerSpec, processes: number | EnvelopeSupply = Math.max(1, os.availableParallelism())) {
    this.#spec = spec;
    this.#ownsPool = typeof processes === 'number';
    this.#pool = typeof processes === 'number' ? new SignerPool(processes) : processes.#pool;
  }

  /** One supply per channel, sharing one set of signing processes; close each (the first closes the processes). */
  static forChannels(spec: SignerSpec, channelIds: readonly string[], processes = Math.max(1, os.availableParallelism())): EnvelopeSupply[] {
    const first = new EnvelopeSupply({ ...spec, channelId: channelIds[0]! }, processes);
    return [first, ...channelIds.slice(1).map((channelId) => new EnvelopeSupply({ ...spec, channelId }, first))];
  }

  /** The signing processes' ids (shared ones included), for reading their CPU. */
  get signingPids(): number[] {
    return this.#pool.pids;
  }

  /** Signs `count` envelopes before the run; rejects with the signer's error (bad MSP...). */
  async prepare(count: number): Promise<void> {
    const started = performance.now();
    const tasks: Promise<void>[] = [];
    for (let left = count; left > 0; left -= BATCH) tasks.push(this.#sign(Math.min(BATCH, left)));
    await Promise.all(tasks);
    this.#signingMs += performance.now() - started;
    this.#signedAhead += count;
  }

  /**
   * From now on signing counts as during the run. With `refill` (closed loop:
   * how many envelopes the run needs is unknown) the queue is topped up while
   * it still holds a reserve; without it (open loop: everything was signed
   * ahead) more are signed only if the queue runs dry.
   */
  startRun(refill: boolean): void {
    this.#running = true;
    this.#refill = refill;
  }

  get available(): number {
    return this.#queued;
  }

  get failure(): Error | undefined {
    return this.#failure;
  }

  /**
   * The next envelope, or false when none is signed yet (counted as starved;
   * more are on their way). Fills `out` to avoid an object per call: the
   * envelope framed as a gRPC message is out.bytes[out.start..out.end), and
   * consecutive envelopes of a batch lie back to back.
   */
  take(out: TakenEnvelope): boolean {
    if (this.#running && this.#refilling < 2 && (this.#queued === 0 || (this.#refill && this.#queued < BATCH * 2))) this.#signMore();
    if (this.#queued === 0) {
      this.#starved++;
      return false;
    }
    const batch = this.#batches[this.#batchIndex]!;
    const i = this.#offsetInBatch;
    out.bytes = batch.bytes;
    out.start = i === 0 ? 0 : batch.ends[i - 1]!;
    out.end = batch.ends[i]!;
    out.txKey = batch.keys[i]!;
    this.#queued--;
    if (++this.#offsetInBatch === batch.keys.length) {
      this.#batches[this.#batchIndex] = undefined as never;
      this.#batchIndex++;
      this.#offsetInBatch = 0;
    }
    return true;
  }

  stats(): SupplyStats {
    return { signedAhead: this.#signedAhead, signedDuringRun: this.#signedDuringRun, starved: this.#starved, signingMs: this.#signingMs };
  }

  async close(): Promise<void> {
    if (this.#ownsPool) await this.#pool.close();
  }

  #signMore(): void {
    this.#refilling++;
    this.#sign(BATCH).then(
      () => {
        this.#signedDuringRun += BATCH;
        this.#refilling--;
      },
      (error: unknown) => {
        this.#failure = error as Error;
        this.#refilling--;
      },
    );
  }

  async #sign(count: number): Promise<void> {
    const batch = await this.#pool.sign({ spec: this.#spec, count });
    this.#batches.push({ bytes: Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength), ends: batch.ends, keys: batch.keys });
    this.#queued += batch.keys.length;
  }
}
