// The leader pipeline with CONFIG envelopes: cut alone into their own block,
// nothing more cut until that block commits, stale ones dropped before cutting,
// and new batch values applied to the blocks cut after.

import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { decodeBlock, decodeBlockEntry, headerHash, type Block, type HeaderFields } from '../../src/block/index.js';
import { LeaderPipeline, PipelineState, type IntakeItem, type OrderedEnvelope } from '../../src/chain/order/leaderPipeline.js';
import { ChainMetrics } from '../../src/chain/metrics.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { buildBlockEntry } from '../../src/workers/index.js';
import { ManualClock } from './manualClock.js';

const sha256 = createCryptoProvider('native').hasher('sha256');
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const genesis: HeaderFields = { number: 0, previousHash: new Uint8Array(0), dataHash: new Uint8Array(32) };

function setup(admit: (e: OrderedEnvelope) => boolean = () => true) {
  const clock = new ManualClock();
  const proposed: Block[] = [];
  const accepted: string[] = [];
  const pipeline = new LeaderPipeline(
    {
      batchSize: { maxMessageCount: 4, absoluteMaxBytes: 1 << 20, preferredMaxBytes: 1 << 16 },
      batchTimeoutMs: 1000,
      maxInflightBlocks: 5,
      submitQueueMax: 100,
      hasher: sha256,
      clock,
      logger: pino({ level: 'silent' }),
      metrics: new ChainMetrics(new Registry(), 'cfg'),
    },
    {
      propose: (data) => void proposed.push(decodeBlock(decodeBlockEntry(data).block)),
      blockEntry: async (start, envelopes, txIds) => buildBlockEntry('native', 'sha256', start, envelopes, txIds),
      lastLogIndex: () => 0,
      currentTerm: () => 1,
      fail: (err) => {
        throw err;
      },
      admitConfig: admit,
    },
  );
  pipeline.becomeLeader();
  pipeline.maybeServe(0, () => genesis);
  expect(pipeline.state).toBe(PipelineState.Serving);
  const item = (id: string, isConfig = false): IntakeItem => ({
    bytes: new TextEncoder().encode(id),
    sizeBytes: 10,
    ...(isConfig && { isConfig }),
    accepted: () => accepted.push(id),
    refused: (err) => {
      throw err;
    },
  });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  const commitAll = async () => {
    await settle();
    for (const b of proposed.splice(0)) committed.push(b);
    for (const b of committed.slice(-5)) pipeline.onBlockCommitted(b.header);
    await settle();
  };
  const committed: Block[] = [];
  return { clock, pipeline, proposed, committed, accepted, item, settle, commitAll };
}

describe('leader pipeline: config envelopes', () => {
  it('cuts pending envelopes, then the config alone, and cuts nothing more until the config block commits', async () => {
    const t = setup();
    for (const id of ['a', 'b']) t.pipeline.enqueue(t.item(id));
    t.pipeline.enqueue(t.item('config', true));
    for (const id of ['c', 'd', 'e']) t.pipeline.enqueue(t.item(id));
    await t.settle();
    expect(t.proposed.map((b) => b.data.map(text))).toEqual([['a', 'b'], ['config']]);
    expect(t.pipeline.pausedForConfig).toBe(true);
    // Paused: later envelopes are not even accepted (their submitters wait) until the config block commits.
    expect(t.accepted).toEqual(['a', 'b', 'config']);
    expect(t.pipeline.waitingCount).toBe(3);
    t.clock.advance(5000);
    await t.settle();
    expect(t.proposed).toHaveLength(2);

    await t.commitAll();
    expect(t.pipeline.pausedForConfig).toBe(false);
    expect(t.accepted).toEqual(['a', 'b', 'config', 'c', 'd', 'e']);
    t.clock.advance(1000);
    await t.settle();
    expect(t.proposed.map((b) => b.data.map(text))).toEqual([['c', 'd', 'e']]);
    // The chain stays numbered and hash-chained across the config block.
    const [b1, b2] = t.committed;
    expect(b2!.header.previousHash).toEqual(headerHash(sha256, b1!.header));
    expect(t.proposed[0]!.header.number).toBe(3);
  });

  it('drops a config envelope that is no longer valid when its turn comes, and goes on with the rest', async () => {
    const t = setup((e) => text(e.bytes) !== 'stale');
    t.pipeline.enqueue(t.item('stale', true));
    for (const id of ['x', 'y', 'z', 'w']) t.pipeline.enqueue(t.item(id));
    await t.settle();
    expect(t.proposed.map((b) => b.data.map(text))).toEqual([['x', 'y', 'z', 'w']]);
    expect(t.pipeline.pausedForConfig).toBe(false);
  });

  it('blocks cut after applyBatchSettings use the new batch size and timeout', async () => {
    const t = setup();
    t.pipeline.applyBatchSettings({ maxMessageCount: 2, absoluteMaxBytes: 1 << 20, preferredMaxBytes: 1 << 16 }, 300);
    for (const id of ['1', '2', '3', '4', '5']) t.pipeline.enqueue(t.item(id));
    await t.settle();
    expect(t.proposed.map((b) => b.data.map(text))).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
    t.clock.advance(299);
    await t.settle();
    expect(t.proposed).toHaveLength(2);
    t.clock.advance(1);
    await t.settle();
    expect(t.proposed.map((b) => b.data.map(text))).toEqual([['1', '2'], ['3', '4'], ['5']]);
  });

  it('a handed-back config envelope keeps its flag and is cut alone by the next leader', async () => {
    const t = setup();
    t.pipeline.enqueue(t.item('p'));
    t.pipeline.enqueue(t.item('cfg', true));
    const back = t.pipeline.stop();
    await t.settle();
    // Both were cut but not yet proposed (creation was voided): they come back accepted.
    const all = [...back.accepted, ...back.waiting];
    expect(all.find((e) => text(e.bytes) === 'cfg')!.isConfig).toBe(true);
    t.proposed.splice(0);
    t.pipeline.becomeLeader();
    t.pipeline.maybeServe(0, () => genesis);
    t.pipeline.carry(back.accepted);
    await t.settle();
    expect(t.proposed.map((b) => b.data.map(text))).toEqual([['p'], ['cfg']]);
  });

  it('setMaxInflightBlocks bounds the blocks proposed and not yet committed from then on', async () => {
    const t = setup();
    t.pipeline.setMaxInflightBlocks(1);
    for (let i = 0; i < 12; i++) t.pipeline.enqueue(t.item(`m${i}`));
    await t.settle();
    expect(t.proposed).toHaveLength(1);
    expect(t.pipeline.inflightBlocks).toBe(1);
    await t.commitAll();
    expect(t.proposed).toHaveLength(1);
    expect(t.pipeline.peakInflightBlocks).toBe(1);
  });
});
