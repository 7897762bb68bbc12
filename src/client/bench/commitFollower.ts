// Follows committed blocks over a Deliver stream and tells the recorder each
// block's tx ids as it arrives (end-to-end commit latency, committed tx/s,
// blocks/s). The first block of the first stream is the one that was newest
// when the run started: it is not counted. A broken stream (node down) is
// reopened on the next endpoint from the block after the last one seen.

import { SEEK_MAX, Status, type EnvelopeCreator } from '../../block/index.js';
import { deliverStream } from './deliverStream.js';
import { BenchTargetError } from './errors.js';
import type { H2SessionSource } from './h2Session.js';

export interface FollowOptions {
  readonly channelId: string;
  readonly creator: EnvelopeCreator;
  /** Connections to follow on, in order of preference; cycled when one fails. */
  readonly sources: () => readonly H2SessionSource[];
  /** A block's number and its transactions' keys, keys[0..count) (reused for the next block). */
  readonly onBlock: (number: number, keys: Float64Array, count: number, nowMs: number) => void;
  readonly signal: AbortSignal;
}

export class CommitFollower {
  #baseNumber: number | undefined;
  #lastNumber: number | undefined;
  #firstBlock: (() => void) | undefined;
  #firstBlockFailed: ((error: Error) => void) | undefined;
  readonly firstBlock: Promise<void>;
  /** Last block number delivered; undefined before the first. */
  get lastNumber(): number | undefined {
    return this.#lastNumber;
  }

  /** The number of the newest block when following started. */
  get baseNumber(): number | undefined {
    return this.#baseNumber;
  }

  constructor(private readonly options: FollowOptions) {
    this.firstBlock = new Promise((resolve, reject) => {
      this.#firstBlock = resolve;
      this.#firstBlockFailed = reject;
    });
    this.firstBlock.catch(() => undefined);
  }

  /** Follows until the signal aborts. The first stream's failure before any block rejects `firstBlock`. */
  async run(): Promise<void> {
    const { signal } = this.options;
    for (let attempt = 0; !signal.aborted; attempt++) {
      const sources = this.options.sources();
      const source = sources[attempt % sources.length]!;
      try {
        const start = this.#lastNumber === undefined ? ({ type: 'newest' } as const) : ({ type: 'specified', number: this.#lastNumber + 1 } as const);
        const status = await deliverStream(source, {
          channelId: this.options.channelId,
          creator: this.options.creator,
          start,
          stop: { type: 'specified', number: SEEK_MAX },
          onBlock: (number, keys, count, nowMs) => this.#onBlock(number, keys, count, nowMs),
          signal,
        });
        if (this.#baseNumber === undefined) {
          this.#firstBlockFailed!(
            new BenchTargetError(`Deliver from ${source.label} on channel "${this.options.channelId}" answered ${Status[status] ?? status}`),
          );
        }
      } catch (error) {
        if (!(error instanceof Error)) throw error;
        if (this.#baseNumber === undefined && !signal.aborted) {
          this.#firstBlockFailed!(new BenchTargetError(`Deliver on channel "${this.options.channelId}" failed: ${error.message}`, { cause: error }));
        }
      }
      if (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  #onBlock(number: number, keys: Float64Array, count: number, nowMs: number): void {
    if (this.#baseNumber === undefined) {
      this.#baseNumber = number;
      this.#lastNumber = number;
      this.#firstBlock!();
      return;
    }
    if (this.#lastNumber !== undefined && number <= this.#lastNumber) return;
    this.#lastNumber = number;
    this.options.onBlock(number, keys, count, nowMs);
  }
}
