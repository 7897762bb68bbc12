// The load under the faults: per channel, one lane per acknowledgement mode
// (request header orderer-ack: committed / accepted), each a Broadcast
// stream to one node (moving to the next node when its stream fails) with
// a bounded window of envelopes in flight. A client that retries as
// Fabric's SDKs do: an envelope answered SERVICE_UNAVAILABLE, or left
// unanswered by a failed stream, is sent again (the same bytes, same tx id)
// until it is acknowledged. Every acknowledgement is recorded with its time.

import * as grpc from '@grpc/grpc-js';
import { setTimeout as sleep } from 'node:timers/promises';
import { Status, type EnvelopeCreator } from '../../src/block/index.js';
import type { AckMode } from '../../src/chain/index.js';
import { BroadcastStream, connectAtomicBroadcast } from '../../src/client/index.js';
import { createEnvelopePool, type SignedEnvelope } from '../../src/client/index.js';
import { address, clientTls } from '../../src/cli/index.js';
import type { NemesisCluster } from './cluster.js';

export interface Acknowledgement {
  readonly channel: string;
  readonly mode: AckMode;
  /** Run clock, when the acknowledged attempt was sent. */
  readonly sentAtMs: number;
  /** Run clock, when the SUCCESS arrived. */
  readonly atMs: number;
  /** The node whose Broadcast stream answered (it forwarded the envelope if it was not the leader). */
  readonly node: number;
  readonly info: string;
}

export interface LoadFigures {
  sent: number;
  retries: number;
  /** Answers other than SUCCESS / SERVICE_UNAVAILABLE, by status name: should stay empty. */
  readonly refused: Record<string, number>;
  unavailable: number;
  streamFailures: number;
  /** SUCCESS answers that said "duplicate: ...". */
  duplicateAnswers: number;
}

const WINDOW: Readonly<Record<AckMode, number>> = { committed: 32, accepted: 16 };
const RETRY_AFTER_MS = 100;

class Lane {
  #node: number;
  #queue: SignedEnvelope[] = [];
  #inFlight = 0;

  constructor(
    private readonly load: NemesisLoad,
    readonly channel: string,
    readonly mode: AckMode,
    firstNode: number,
  ) {
    this.#node = firstNode;
  }

  get unacknowledged(): number {
    return this.#queue.length + this.#inFlight;
  }

  async run(signal: AbortSignal, ratePerSec: number): Promise<void> {
    const { cluster } = this.load;
    const metadata = new grpc.Metadata();
    metadata.set('orderer-ack', this.mode);
    const gapMs = 1000 / ratePerSec;
    let nextAt = performance.now();
    while (!signal.aborted || this.#inFlight > 0) {
      const node = cluster.manifest.nodes.find((n) => n.id === this.#node)!;
      const client = connectAtomicBroadcast(address(node, 'client'), clientTls(cluster.dir, cluster.manifest));
      const stream = new BroadcastStream(client, metadata);
      try {
        while (!stream.failed && !(signal.aborted && this.#inFlight === 0)) {
          if (signal.aborted || this.#inFlight >= WINDOW[this.mode] || performance.now() < nextAt) {
            await sleep(Math.max(5, Math.min(50, nextAt - performance.now())));
            continue;
          }
          const envelope = this.#next();
          nextAt = Math.max(nextAt + gapMs, performance.now() - 1000);
          this.#inFlight++;
          this.load.figures.sent++;
          const sent = { atMs: this.load.now(), node: node.id };
          stream.send(envelope.bytes).then(
            (r) => {
              this.#inFlight--;
              if (r.status === Status.SUCCESS) this.load.acknowledged(envelope, this.channel, this.mode, r.info, sent);
              else if (r.status === Status.SERVICE_UNAVAILABLE) this.#retry(envelope, true);
              else this.load.refuse(Status[r.status] ?? String(r.status), r.info);
            },
            () => {
              this.#inFlight--;
              this.#retry(envelope, false);
            },
          );
        }
      } finally {
        stream.cancel();
        client.close();
      }
      if (stream.failed) {
        this.load.figures.streamFailures++;
        this.#node = (this.#node % cluster.ids.length) + 1;
        await sleep(RETRY_AFTER_MS);
      }
      if (signal.aborted && this.#inFlight === 0) break;
    }
  }

  #next(): SignedEnvelope {
    const retry = this.#queue.shift();
    if (retry !== undefined) {
      this.load.figures.retries++;
      return retry;
    }
    return this.load.fresh(this.channel);
  }

  #retry(envelope: SignedEnvelope, unavailable: boolean): void {
    if (unavailable) this.load.figures.unavailable++;
    setTimeout(() => this.#queue.push(envelope), RETRY_AFTER_MS);
  }
}

export class NemesisLoad {
  readonly figures: LoadFigures = { sent: 0, retries: 0, refused: {}, unavailable: 0, streamFailures: 0, duplicateAnswers: 0 };
  /** tx id → its acknowledgement (the first SUCCESS; a retry's later SUCCESS is counted, not kept). */
  readonly acks = new Map<string, Acknowledgement>();
  /** Every tx id sent at least once. */
  readonly sentTxIds = new Set<string>();
  readonly refusals: string[] = [];
  readonly #pools = new Map<string, SignedEnvelope[]>();
  readonly #lanes: Lane[] = [];
  readonly #stop = new AbortController();
  #running: Promise<unknown> = Promise.resolve();

  constructor(
    readonly cluster: NemesisCluster,
    private readonly creator: EnvelopeCreator,
    readonly now: () => number,
  ) {}

  /** `modes`: the acknowledgement modes to load, one lane per mode and channel. */
  start(ratePerSec: number, modes: readonly AckMode[] = ['committed', 'accepted']): void {
    const { channels, ids } = this.cluster;
    channels.forEach((channel, i) => {
      if (modes.includes('committed')) this.#lanes.push(new Lane(this, channel, 'committed', ids[i % ids.length]!));
      if (modes.includes('accepted')) this.#lanes.push(new Lane(this, channel, 'accepted', ids[(i + 1) % ids.length]!));
    });
    const perLane = ratePerSec / this.#lanes.length;
    this.#running = Promise.all(this.#lanes.map((lane) => lane.run(this.#stop.signal, perLane)));
  }

  /** Stops sending; waits until every lane's envelopes in flight are answered (retries are abandoned). */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
  }

  fresh(channel: string): SignedEnvelope {
    let pool = this.#pools.get(channel);
    if (pool === undefined || pool.length === 0) {
      pool = createEnvelopePool({ channelId: channel, creator: this.creator, count: 64, envelopeBytes: 300 });
      this.#pools.set(channel, pool);
    }
    const envelope = pool.pop()!;
    this.sentTxIds.add(envelope.txId);
    return envelope;
  }

  /** `sent`: when and to which node the answered attempt went. */
  acknowledged(envelope: SignedEnvelope, channel: string, mode: AckMode, info: string, sent: { readonly atMs: number; readonly node: number }): void {
    if (info.startsWith('duplicate:')) this.figures.duplicateAnswers++;
    if (!this.acks.has(envelope.txId)) this.acks.set(envelope.txId, { channel, mode, sentAtMs: sent.atMs, atMs: this.now(), node: sent.node, info });
  }

  refuse(status: string, info: string): void {
    this.figures.refused[status] = (this.figures.refused[status] ?? 0) + 1;
    if (this.refusals.length < 10) this.refusals.push(`${status}: ${info}`);
  }
}
