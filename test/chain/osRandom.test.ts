import { describe, expect, it } from 'vitest';
import { osRandom } from '../../src/chain/order/osRandom.js';
import { MemoryStorage, RawNode, type RaftConfig } from '../../src/raft/index.js';

describe('osRandom (election timeouts of a running chain)', () => {
  it('draws uniform floats in [0, 1) that do not repeat a sequence', () => {
    const draws = Array.from({ length: 2000 }, () => osRandom());
    for (const d of draws) expect(d >= 0 && d < 1).toBe(true);
    expect(new Set(draws).size).toBe(draws.length);
    // Two "starts" of the same node draw different sequences (a seeded-by-id generator repeats them).
    const first = Array.from({ length: 8 }, () => osRandom());
    const second = Array.from({ length: 8 }, () => osRandom());
    expect(first).not.toEqual(second);
    // Uniform enough for picking one of electionTick slots: every tenth of [0, 1) is hit.
    const deciles = new Set(draws.map((d) => Math.floor(d * 10)));
    expect(deciles.size).toBe(10);
  });

  it('the Raft core refuses a config without a random source, naming it', () => {
    const config = { id: 1, electionTick: 10, heartbeatTick: 1, storage: new MemoryStorage() } as unknown as RaftConfig;
    expect(() => new RawNode(config)).toThrow(/config\.random is required/);
  });
});
