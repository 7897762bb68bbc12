// The leader pipeline against a model of the committed chain: under any
// interleaving of submits, commits, batch timeouts, dropped proposals,
// re-elections, proposals superseded by another leader's block and proposals
// that vanish with a leader change (a later term commits without them), at most
// maxInflightBlocks blocks are in flight, the committed chain is numbered and
// hash-chained without gaps, and every envelope is committed exactly once,
// handed back, or still waiting — never lost, never duplicated.

import fc from 'fast-check';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { dataHash, decodeBlock, decodeBlockEntry, headerHash, type Block, type HeaderFields } from '../../src/block/index.js';
import { LeaderPipeline, PipelineState, type IntakeItem, type OrderedEnvelope } from '../../src/chain/order/leaderPipeline.js';
import { ChainMetrics } from '../../src/chain/metrics.js';
import { TxTracker } from '../../src/chain/submit/txTracker.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { ProposalDroppedError } from '../../src/raft/index.js';
import { buildBlockEntry } from '../../src/workers/index.js';
import { ManualClock } from './manualClock.js';

const sha256 = createCryptoProvider('native').hasher('sha256');
const BATCH_TIMEOUT_MS = 1000;
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

type Op =
  | { kind: 'submit'; count: number }
  | { kind: 'commit' }
  | { kind: 'timeout' }
  | { kind: 'drop' }
  | { kind: 'relead' }
  | { kind: 'supersede' }
  | { kind: 'vanish' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 6 }).map((count) => ({ kind: 'submit' as const, count })) },
  { weight: 4, arbitrary: fc.constant({ kind: 'commit' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'timeout' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'drop' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'relead' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'supersede' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'vanish' as const }) },
);

class Model {
  readonly clock = new ManualClock();
  /** Blocks the pipeline proposed, in order; index `firstUncommitted` on are not committed (yet). */
  proposed: Block[] = [];
  /** The Raft term of each proposed block (the term its leader led in). */
  proposedTerms: number[] = [];
  /** The current term: each leadership change moves it on. */
  term = 1;
  firstUncommitted = 0;
  /** The committed chain after genesis: our blocks and other leaders' (which carry none of our envelopes). */
  readonly chain: HeaderFields[] = [];
  readonly committedEnvelopes: string[] = [];
  /** Accepted envelopes handed back by step-downs and superseded proposals, not yet given back to the pipeline. */
  handedBack: OrderedEnvelope[] = [];
  dropNext = false;
  logIndex = 0;
  failures: unknown[] = [];
  readonly acceptedCount = new Map<string, number>();
  readonly pipeline: LeaderPipeline;
  readonly genesis: HeaderFields = { number: 0, previousHash: new Uint8Array(0), dataHash: new Uint8Array(32) };
  #seq = 0;
  #foreign = 0;
  /** The duplicate check as the chain wires it (claim at the cutter, release what comes back, commit). */
  readonly txs = new TxTracker({ recentMax: 1 << 16, waitersMax: 1, ledgerLookup: () => undefined });

  constructor(
    readonly maxInflightBlocks: number,
    maxMessageCount: number,
  ) {
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
          this.proposed.push(decodeBlock(decodeBlockEntry(data).block));
          this.proposedTerms.push(this.term);
        },
        blockEntry: async (start, envelopes, txIds) => buildBlockEntry('native', 'sha256', start, envelopes, txIds),
        lastLogIndex: () => this.logIndex,
        currentTerm: () => this.term,
        fail: (err) => this.failures.push(err),
        claim: (m) => this.txs.claim(m.txId ?? ''),
        released: (ms) => this.txs.release(ms.map((m) => m.txId ?? '')),
      },
    );
  }

  item(id: string): IntakeItem {
    return {
      bytes: new TextEncoder().encode(id),
      sizeBytes: 10,
      txId: id,
      accepted: () => this.acceptedCount.set(id, (this.acceptedCount.get(id) ?? 0) + 1),
      refused: (err) => this.failures.push(err),
    };
  }

  submit(): void {
    this.pipeline.enqueue(this.item(`env-${++this.#seq}`));
  }

  get submittedIds(): string[] {
    return Array.from({ length: this.#seq }, (_, i) => `env-${i + 1}`);
  }

  get tip(): HeaderFields {
    return this.chain[this.chain.length - 1] ?? this.genesis;
  }

  /** Once the log is applied, a (re)elected leader serves from the committed tip. */
  serve(): void {
    if (this.firstUncommitted < this.proposed.length) return; // its own proposals must commit or lose first
    const tip = this.tip;
    this.pipeline.maybeServe(this.logIndex, () => tip);
  }

  #apply(header: HeaderFields, envelopes: readonly Uint8Array[], term: number): void {
    expect(header.number).toBe(this.tip.number + 1);
    expect(Buffer.from(header.previousHash).equals(Buffer.from(headerHash(sha256, this.tip)))).toBe(true);
    this.chain.push(header);
    this.committedEnvelopes.push(...envelopes.map(decode));
    this.txs.onCommitted(header.number, envelopes.map(decode));
    this.#handBack(this.pipeline.onBlockCommitted(header));
    this.#handBack(this.pipeline.onTermApplied(term));
  }

  /** Envelopes of lost proposals, to order again (the router releases their tx ids). */
  #handBack(orphans: OrderedEnvelope[]): void {
    this.txs.release(orphans.map((m) => m.txId ?? ''));
    this.handedBack.push(...orphans);
  }

  /** A new leader's empty entry of term `term` is committed. */
  #applyEmpty(term: number): void {
    this.#handBack(this.pipeline.onTermApplied(term));
  }

  /** Raft commits our oldest uncommitted proposal. */
  commitOne(): void {
    const block = this.proposed[this.firstUncommitted];
    if (block === undefined) return;
    this.#apply(block.header, block.data, this.proposedTerms[this.firstUncommitted++]!);
  }

  /** Step down, Raft commits all we proposed, lead again (a new term, whose empty entry commits). */
  relead(): void {
    this.#stepDown();
    while (this.firstUncommitted < this.proposed.length) this.commitOne();
    this.#leadAgain();
  }

  /** Step down; another leader's log lacked our uncommitted proposals and it orders nothing new; lead again. */
  vanish(): void {
    this.#stepDown();
    this.#forgetUncommitted();
    this.term++; // the other leader's term: only its empty entry commits
    this.#applyEmpty(this.term);
    this.#leadAgain();
  }

  #forgetUncommitted(): void {
    this.proposed = this.proposed.slice(0, this.firstUncommitted);
    this.proposedTerms = this.proposedTerms.slice(0, this.firstUncommitted);
  }

  /** Step down; another leader's block is committed where our oldest uncommitted proposal was; lead again. */
  supersede(): void {
    if (this.firstUncommitted === this.proposed.length) return;
    this.#stepDown();
    const tip = this.tip;
    const foreign = [new TextEncoder().encode(`foreign-${++this.#foreign}`)];
    this.#forgetUncommitted(); // ours from here on are overwritten in the log
    this.term++;
    this.#apply({ number: tip.number + 1, previousHash: headerHash(sha256, tip), dataHash: dataHash(sha256, foreign) }, [], this.term);
    this.#leadAgain();
  }

  #stepDown(): void {
    const { waiting, accepted } = this.pipeline.stop();
    this.txs.releaseAll();
    this.handedBack.push(...accepted);
    this.waitingAfterStop = waiting;
  }

  waitingAfterStop: IntakeItem[] = [];

  #leadAgain(): void {
    this.term++;
    this.pipeline.becomeLeader();
    this.pipeline.carry(this.handedBack);
    this.handedBack = [];
    for (const item of this.waitingAfterStop) this.pipeline.enqueue(item);
    this.waitingAfterStop = [];
    this.#applyEmpty(this.term); // our own empty entry, after everything we proposed before (committed above)
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
    else if (op.kind === 'relead') model.relead();
    else if (op.kind === 'vanish') model.vanish();
    else model.supersede();
    await flush();
    if (model.pipeline.state === PipelineState.Catching) model.serve();
    await flush();
    expect(model.pipeline.inflightBlocks).toBeLessThanOrEqual(model.maxInflightBlocks);
  }
}

describe('LeaderPipeline', () => {
  it('keeps the in-flight bound and a gapless chain, and never loses or duplicates an envelope, even when its proposals lose', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(opArb, { maxLength: 40 }),
        async (maxInflight, maxCount, ops) => {
          const model = new Model(maxInflight, maxCount);
          await run(model, ops);
          expect(model.failures).toEqual([]);
          expect(model.pipeline.peakInflightBlocks).toBeLessThanOrEqual(maxInflight);
          // Whatever is still uncommitted is settled by Raft committing it (the model's choice at the end).
          while (model.firstUncommitted < model.proposed.length) model.commitOne();
          const { waiting, accepted } = model.pipeline.stop();
          const committed = model.committedEnvelopes;
          const handedBack = [...model.handedBack, ...accepted].map((m) => decode(m.bytes));
          const stillWaiting = [...model.waitingAfterStop, ...waiting].map((m) => decode(m.bytes));
          expect([...committed, ...handedBack, ...stillWaiting].sort()).toEqual(model.submittedIds.sort());
          for (const id of [...committed, ...handedBack]) expect(model.acceptedCount.get(id)).toBe(1);
          for (const id of stillWaiting) expect(model.acceptedCount.get(id)).toBeUndefined();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses submits when not leading and when the intake is full, naming why', () => {
    const model = new Model(1, 1);
    expect(() => model.submit()).toThrow('this node is not the Raft leader');
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
      {
        propose: () => undefined,
        blockEntry: async (start, envelopes, txIds) => buildBlockEntry('native', 'sha256', start, envelopes, txIds),
        lastLogIndex: () => 1,
        currentTerm: () => 1,
        fail: () => undefined,
      },
    );
    small.becomeLeader(); // catching up: submits wait in the intake
    small.enqueue(model.item('a'));
    small.enqueue(model.item('b'));
    expect(() => small.enqueue(model.item('c'))).toThrow("the leader's submit queue is full (2 envelopes waiting)");
  });
});
