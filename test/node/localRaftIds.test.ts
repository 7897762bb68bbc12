// A node re-added under the same new Raft id on two channels answers to that
// id until the last of them stops running as it: one channel re-onboarding
// again (a newer id) must not take the id from the other.

import { describe, expect, it } from 'vitest';
import { LocalRaftIds } from '../../src/node/localRaftIds.js';

function recordingTransport(): { ids: Set<number>; calls: string[]; addLocalId(id: number): void; removeLocalId(id: number): void } {
  const ids = new Set<number>();
  const calls: string[] = [];
  return {
    ids,
    calls,
    addLocalId: (id) => {
      ids.add(id);
      calls.push(`add ${id}`);
    },
    removeLocalId: (id) => {
      ids.delete(id);
      calls.push(`remove ${id}`);
    },
  };
}

describe('local Raft ids', () => {
  it('keeps an id two channels run as until both released it', () => {
    const transport = recordingTransport();
    const local = new LocalRaftIds(3, transport);
    local.take(5); // channel A re-added as 5
    local.take(5); // channel B re-added as 5 too
    local.release(5); // A re-onboards again, as 6
    local.take(6);
    expect([...transport.ids].sort()).toEqual([5, 6]);
    local.release(5); // B stops
    expect([...transport.ids]).toEqual([6]);
    expect(transport.calls).toEqual(['add 5', 'add 6', 'remove 5']);
  });

  it("never adds or removes the node's own id, and ignores a release of an id it does not hold", () => {
    const transport = recordingTransport();
    const local = new LocalRaftIds(3, transport);
    local.take(3);
    local.release(3);
    local.release(7);
    expect(transport.calls).toEqual([]);
  });
});
