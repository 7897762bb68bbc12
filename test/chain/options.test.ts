// ChainOptions validation: Fabric's defaults filled in, every bad option refused
// with a ChainOptionsError that names it.

import { describe, expect, it } from 'vitest';
import { CHAIN_DEFAULTS, ChainOptionsError, resolveChainOptions, type ChainOptions } from '../../src/chain/index.js';
import { DEFAULT_BATCH_SIZE } from '../../src/block/index.js';

const valid: ChainOptions = {
  channelId: 'mychannel',
  selfId: 2,
  consenters: [3, 1, 2],
  hashAlgorithm: 'sha256',
  signatureAlgorithm: 'ecdsa-p256',
  engine: 'native',
  organizations: [{ mspId: 'Org1MSP', rootCerts: ['-'], intermediateCerts: [] }],
};

function refusal(patch: Partial<Record<keyof ChainOptions, unknown>>): string {
  try {
    resolveChainOptions({ ...valid, ...patch } as ChainOptions);
  } catch (err) {
    expect(err).toBeInstanceOf(ChainOptionsError);
    expect((err as ChainOptionsError).code).toBe('CHAIN_BAD_OPTIONS');
    return (err as Error).message;
  }
  throw new Error('options were accepted');
}

describe('resolveChainOptions', () => {
  it('election jitter: half of electionTick by default, at least one tick; more than electionTick is refused by name', () => {
    expect(resolveChainOptions(valid)).toMatchObject({ electionTick: 10, electionJitterTicks: 5 });
    expect(resolveChainOptions({ ...valid, electionTick: 3, heartbeatTick: 1 })).toMatchObject({ electionJitterTicks: 1 });
    expect(resolveChainOptions({ ...valid, electionJitterTicks: 10 })).toMatchObject({ electionJitterTicks: 10 });
    expect(refusal({ electionJitterTicks: 0 })).toMatch(/options\.electionJitterTicks must be a positive integer, got 0/);
    expect(refusal({ electionJitterTicks: 11 })).toMatch(/options\.electionJitterTicks must be at most electionTick \(10\), got 11/);
  });

  it('leader-loss detection: on by default with a 40 ms grace; a bad switch or grace is refused by name', () => {
    expect(resolveChainOptions(valid)).toMatchObject({ leaderLossDetection: true, leaderLossGraceMs: 40 });
    expect(resolveChainOptions({ ...valid, leaderLossDetection: false, leaderLossGraceMs: 15 })).toMatchObject({
      leaderLossDetection: false,
      leaderLossGraceMs: 15,
    });
    expect(refusal({ leaderLossDetection: 'yes' })).toMatch(/options\.leaderLossDetection must be true or false, got yes/);
    expect(refusal({ leaderLossGraceMs: 0 })).toMatch(/options\.leaderLossGraceMs must be a positive integer/);
    expect(refusal({ leaderLossGraceMs: 60_000 })).toMatch(/options\.leaderLossGraceMs must be at most 10000 ms/);
  });

  it("fills Fabric's defaults and sorts the consenters", () => {
    const r = resolveChainOptions(valid);
    expect(r).toMatchObject({
      consenters: [1, 2, 3],
      tickIntervalMs: 500,
      electionTick: 10,
      heartbeatTick: 1,
      maxInflightBlocks: 5,
      snapshotIntervalSizeBytes: 20 * 1024 * 1024,
      batchTimeoutMs: 2000,
      batchSize: DEFAULT_BATCH_SIZE,
      maxSizePerMsgBytes: DEFAULT_BATCH_SIZE.preferredMaxBytes,
      submitQueueMax: CHAIN_DEFAULTS.submitQueueMax,
    });
  });

  it('names the bad option', () => {
    expect(refusal({ channelId: 'My Channel' })).toMatch(/options\.channelId "My Channel"/);
    expect(refusal({ consenters: [] })).toMatch(/options\.consenters must list/);
    expect(refusal({ consenters: [1, 1, 2] })).toMatch(/lists an id twice/);
    expect(refusal({ consenters: [0, 1] })).toMatch(/options\.consenters: 0 is not a positive integer/);
    expect(refusal({ selfId: 4 })).toMatch(/options\.selfId 4 is not one of options\.consenters \(1, 2, 3\)/);
    expect(refusal({ maxInflightBlocks: 0 })).toMatch(/options\.maxInflightBlocks must be a positive integer, got 0/);
    expect(refusal({ tickIntervalMs: 1.5 })).toMatch(/options\.tickIntervalMs/);
    expect(refusal({ electionTick: 2, heartbeatTick: 2 })).toMatch(/options\.heartbeatTick \(2\) must be less than options\.electionTick \(2\)/);
    expect(refusal({ batchSize: { maxMessageCount: 0, absoluteMaxBytes: 10, preferredMaxBytes: 5 } })).toMatch(/options\.batchSize\.maxMessageCount/);
    expect(refusal({ hashAlgorithm: 'md5' })).toMatch(/options\.hashAlgorithm must be one of sha256, sm3, got md5/);
    expect(refusal({ engine: 'wasm' })).toMatch(/options\.engine/);
    expect(refusal({ organizations: [] })).toMatch(/options\.organizations must list at least one/);
    expect(refusal({ genesisBlock: new Uint8Array(0) })).toMatch(/options\.genesisBlock/);
  });
});
