// The leader pipeline against a model: under any interleaving of submits,
// commits, batch timeouts, dropped proposals and leadership changes, at most
// maxInflightBlocks blocks are in flight, blocks are numbered and hash-chained
// without gaps, and every envelope is ordered exactly once or handed back —
// never lost, never duplicated.

import fc from 'fast-check';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { dataHash, decodeBlock, headerHash, type Block, type HeaderFields } from '../../src/block/index.js';
import { LeaderPipeline, PipelineState, type IntakeItem, type OrderedEnvelope } from '../../src/chain/leaderPipeline.js';
import { ChainMetrics } from '../../src/chain/metrics.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { ProposalDroppedError } from '../../src/raft/index.js';
import { ManualClock } from './manualClock.js';

const sha256 = createCryptoProvider('native').hasher('sha256');
const BATCH_TIMEOUT_MS = 1000;

type Op =
  | { kind: 'submit'; count: number }
  | { kind: 'commit' }
  | { kind: 'timeout' }
  | { kind: 'drop' }
  | { kind: 'stepDown' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 6 }).map((count) => ({ kind: 'submit' as const, count })) },
  { weight: 4, arbitrary: fc.constant({ kind: 'commit' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'timeout' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'drop' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'stepDown' as const }) },
);

class Model {
  readonly clock = new ManualClock();
  readonly proposed: Block[] = [];
  committed = 0;
  dropNext = false;
  logIndex = 0;
  failures: unknown[] = [];
  readonly acceptedCount = new Map<string, number>();
  readonly pipeline: LeaderPipeline;
  readonly genesis: HeaderFields = { number: 0, previousHash: new Uint8Array(0), dataHash: new Uint8Array(32) };
  #seq = 0;

  constructor(readonly maxInflightBlocks: number, maxMessageCount: number) {
    this.pipeline = new LeaderPipeline(
      {
        batchSize: { maxMessageCount, absoluteMaxBytes: 1 << 20, preferredMaxBytes: 1 << 16 },
        batchTimeoutMs: BATCH_TIMEOUT_MS,
        maxInflightBlocks,
        submitQueueMax: 10_000,
        hasher: sha256,
        clock: this.clock,
        logger: pino({ level: 'silent' }),
        metrics: new ChainMetrics(new Registry(), 'model'),
      },
      {
        propose: (data) => {
          if (this.dropNext) {
            this.dropNext = false;
            throw new ProposalDroppedError('dropped by the test');
          }
          this.logIndex++;
          this.proposed.push(decodeBlock(data));
        },
        dataHash: async (envelopes) => dataHash(sha256, envelopes),
        lastLogIndex: () => this.logIndex,
        fail: (err) => this.failures.push(err),
      },
    );
  }

  item(id: string): IntakeItem {
    return {
      bytes: new TextEncoder().encode(id),
      sizeBytes: 10,
      accepted: () => this.acceptedCount.set(id, (this.acceptedCount.get(id) ?? 0) + 1),
    };
  }

  submit(): void {
    this.pipeline.enqueue(this.item(`env-${++this.#seq}`));
  }

  get submittedIds(): string[] {
    return Array.from({ length: this.#seq }, (_, i) => `env-${i + 1}`);
  }

  /** Applied everything proposed so far: a (re)elected leader serves from the last proposed block. */
  serve(): void {
    const last = this.proposed[this.proposed.length - 1]?.header ?? this.genesis;
    this.pipeline.maybeServe(this.logIndex, () => last);
  }

  commitOne(): void {
    if (this.committed >= this.proposed.length) return;
    this.pipeline.onBlockCommitted(this.proposed[this.committed++]!.header.number);
  }

  /** Step down, then lead again at once (as a re-election of the same node). */
  relead(): void {
    const { waiting, accepted } = this.pipeline.stop();
    this.committed = this.proposed.length; // Raft commits what was proposed (the model's choice)
    this.pipeline.becomeLeader();
    this.pipeline.carry(accepted);
    for (const item of waiting) this.pipeline.enqueue(item);
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 4; i++) await new Promise((resolve) => setImmediate(resolve));
}

async function run(model: Model, ops: readonly Op[]): Promise<void> {
  model.pipeline.becomeLeader();
  model.serve();
  for (const op of ops) {
    if (op.kind === 'submit') for (let i = 0; i < op.count; i++) model.submit();
    else if (op.kind === 'commit') model.commitOne();
    else if (op.kind === 'timeout') model.clock.advance(BATCH_TIMEOUT_MS);
    else if (op.kind === 'drop') model.dropNext = true;
    else model.relead();
    await flush();
    if (model.pipeline.state === PipelineState.Catching) model.serve();
    await flush();
    expect(model.pipeline.inflightBlocks).toBeLessThanOrEqual(model.maxInflightBlocks);
  }
}

describe('LeaderPipeline', () => {
  it('keeps the in-flight bound, numbers and chains blocks without gaps, and orders every envelope exactly once or hands it back', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.array(opArb, { maxLength: 40 }), async (maxInflight, maxCount, ops) => {
        const model = new Model(maxInflight, maxCount);
        await run(model, ops);
        expect(model.failures).toEqual([]);
        expect(model.pipeline.peakInflightBlocks).toBeLessThanOrEqual(maxInflight);
        // Numbered 1, 2, 3... each chained to the one before by header hash.
        let previous = model.genesis;
        model.proposed.forEach((block, i) => {
          expect(block.header.number).toBe(i + 1);
          expect(Buffer.from(block.header.previousHash).equals(Buffer.from(headerHash(sha256, previous)))).toBe(true);
          previous = block.header;
        });
        const { waiting, accepted } = model.pipeline.stop();
        const decode = (b: Uint8Array) => new TextDecoder().decode(b);
        const inBlocks = model.proposed.flatMap((b) => b.data.map(decode));
        const handedBack = accepted.map((m: OrderedEnvelope) => decode(m.bytes));
        const stillWaiting = waiting.map((m) => decode(m.bytes));
        const everywhere = [...inBlocks, ...handedBack, ...stillWaiting].sort();
        expect(everywhere).toEqual(model.submittedIds.sort());
        for (const id of [...inBlocks, ...handedBack]) expect(model.acceptedCount.get(id)).toBe(1);
        for (const id of stillWaiting) expect(model.acceptedCount.get(id)).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });

  it('refuses submits when not leading and when the intake is full, naming why', () => {
    const model = new Model(1, 1);
    expect(() => model.submit()).toThrow('this node is not the Raft leader');
    model.pipeline.becomeLeader(); // catching up: submits wait in the intake
    const small = new LeaderPipeline(
      {
        batchSize: { maxMessageCount: 1, absoluteMaxBytes: 100, preferredMaxBytes: 100 },
        batchTimeoutMs: 1,
        maxInflightBlocks: 1,
        submitQueueMax: 2,
        hasher: sha256,
        clock: new ManualClock(),
        logger: pino({ level: 'silent' }),
        metrics: new ChainMetrics(new Registry(), 'small'),
      },
      { propose: () => undefined, dataHash: async () => new Uint8Array(32), lastLogIndex: () => 1, fail: () => undefined },
    );
    small.becomeLeader();
    small.enqueue(model.item('a'));
    small.enqueue(model.item('b'));
    expect(() => small.enqueue(model.item('c'))).toThrow("the leader's submit queue is full (2 envelopes waiting)");
  });
});
