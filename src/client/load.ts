// The grpc-js load generator of the end-to-end tests and bench:failover:
// Broadcast pre-signed envelopes to one node over a few pipelined streams,
// count the answers per status, report tx/s (`orderer load` and `orderer
// bench` use the bench harness, ./bench/).

import type * as grpc from '@grpc/grpc-js';
import { setTimeout as sleep } from 'node:timers/promises';
import { Status, type BroadcastResponse } from '../block/index.js';
import { BroadcastStream } from './abClient.js';
import type { SignedEnvelope } from './envelopePool.js';

export interface LoadOptions {
  readonly client: grpc.Client;
  readonly envelopes: readonly SignedEnvelope[];
  /** Concurrent Broadcast streams. */
  readonly streams: number;
  /** Envelopes each stream keeps outstanding at most. */
  readonly windowPerStream: number;
  /** Stop sending after this long. */
  readonly durationMs: number;
  /** Send each pool envelope at most once (true) or cycle through the pool (false). */
  readonly once: boolean;
  /** Send at most this many envelopes per second over all streams (default: as fast as answers come). */
  readonly maxTxPerSec?: number;
  /** After a SERVICE_UNAVAILABLE answer (no leader, overloaded) a stream pauses this long. Default 50. */
  readonly unavailableBackoffMs?: number;
  /** Called with every acknowledged envelope (SUCCESS) — for exactly-once checks. */
  readonly onAcknowledged?: (envelope: SignedEnvelope, atMs: number) => void;
  /** Called once a second with the running counts. */
  readonly onTick?: (report: LoadReport) => void;
  readonly signal?: AbortSignal;
}

export interface LoadReport {
  readonly sent: number;
  readonly succeeded: number;
  /** Answers other than SUCCESS, by status name, and stream failures under "STREAM_FAILED". */
  readonly refused: Readonly<Record<string, number>>;
  readonly elapsedMs: number;
  /** SUCCESS answers per second over elapsedMs. */
  readonly acknowledgedTxPerSec: number;
}

class Counters {
  sent = 0;
  succeeded = 0;
  readonly refused: Record<string, number> = {};
  readonly startMs = performance.now();

  count(response: BroadcastResponse): void {
    if (response.status === Status.SUCCESS) this.succeeded++;
    else this.refuse(Status[response.status] ?? String(response.status));
  }

  refuse(what: string): void {
    this.refused[what] = (this.refused[what] ?? 0) + 1;
  }

  report(): LoadReport {
    const elapsedMs = performance.now() - this.startMs;
    return {
      sent: this.sent,
      succeeded: this.succeeded,
      refused: { ...this.refused },
      elapsedMs,
      acknowledgedTxPerSec: (this.succeeded * 1000) / Math.max(1, elapsedMs),
    };
  }
}

/** Runs the load until durationMs, the pool is used up (`once`) or `signal` aborts; waits for outstanding answers. */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const counters = new Counters();
  const deadline = counters.startMs + options.durationMs;
  let next = 0;
  const take = (): SignedEnvelope | undefined => {
    if (performance.now() >= deadline || options.signal?.aborted) return undefined;
    if (options.once && next >= options.envelopes.length) return undefined;
    return options.envelopes[next++ % options.envelopes.length];
  };
  const ticker = options.onTick === undefined ? undefined : setInterval(() => options.onTick!(counters.report()), 1000);
  try {
    await Promise.all(Array.from({ length: options.streams }, () => driveStream(options, counters, take)));
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
  }
  return counters.report();
}

async function driveStream(options: LoadOptions, counters: Counters, take: () => SignedEnvelope | undefined): Promise<void> {
  const stream = new BroadcastStream(options.client);
  const backoffMs = options.unavailableBackoffMs ?? 50;
  let pausedUntilMs = 0;
  // One counter and at most one waiter: the loop sleeps until `outstanding` drops below `wakeBelow`.
  let outstanding = 0;
  let wakeBelow = 0;
  let wake: (() => void) | undefined;
  const settled = (): void => {
    outstanding--;
    if (wake !== undefined && outstanding < wakeBelow) {
      const resolve = wake;
      wake = undefined;
      resolve();
    }
  };
  const below = (limit: number): Promise<void> | undefined => {
    if (outstanding < limit) return undefined;
    wakeBelow = limit;
    return new Promise<void>((resolve) => {
      wake = resolve;
    });
  };
  for (;;) {
    if (mustWait(options, counters, pausedUntilMs)) await pace(options, counters, pausedUntilMs);
    const envelope = take();
    if (envelope === undefined || stream.failed) break;
    counters.sent++;
    outstanding++;
    stream.send(envelope.bytes).then(
      (response) => {
        counters.count(response);
        if (response.status === Status.SUCCESS) options.onAcknowledged?.(envelope, performance.now());
        // No leader yet (or overloaded): asking again at once would only spin the CPU the election needs.
        if (response.status === Status.SERVICE_UNAVAILABLE) pausedUntilMs = performance.now() + backoffMs;
        settled();
      },
      () => {
        counters.refuse('STREAM_FAILED');
        settled();
      },
    );
    const full = below(options.windowPerStream);
    if (full !== undefined) await full;
  }
  const drained = below(1);
  if (drained !== undefined) await drained;
  if (!stream.failed) await stream.end();
}

/** Whether the next send must wait (a pause after SERVICE_UNAVAILABLE, the rate limit): most sends need not, and skip the await. */
function mustWait(options: LoadOptions, counters: Counters, pausedUntilMs: number): boolean {
  const now = performance.now();
  if (pausedUntilMs - now > 1) return true;
  return options.maxTxPerSec !== undefined && counters.startMs + (counters.sent * 1000) / options.maxTxPerSec - now > 1;
}

/** Waits out a stream's pause and the overall rate limit. */
async function pace(options: LoadOptions, counters: Counters, pausedUntilMs: number): Promise<void> {
  for (;;) {
    const now = performance.now();
    let waitMs = pausedUntilMs - now;
    if (options.maxTxPerSec !== undefined) waitMs = Math.max(waitMs, counters.startMs + (counters.sent * 1000) / options.maxTxPerSec - now);
    if (waitMs <= 1 || options.signal?.aborted) return;
    // Short naps, so an abort is noticed promptly.
    await sleep(Math.min(waitMs, 250));
  }
}
