// The durable storage under the real Raft core: a 3-node cluster whose Ready
// loops persist through persistReady (messages sent only after it resolves),
// then a full restart from disk. After the restart each node re-applies its
// committed entries read back through Storage, elects a leader from the
// persisted term/vote, and keeps committing. Both engines.

import { afterEach, describe, expect, it } from 'vitest';
import { EntryType, RawNode, StateType, emptyConfState, seededRandom, type Message } from '../../src/raft/index.js';
import type { WalEnvironment } from '../../src/storage/index.js';
import { engines, openEnv, removeDir, tempDir } from './helpers.js';

const ids = [1, 2, 3];

interface Member {
  env: WalEnvironment;
  node: RawNode;
  applied: string[];
}

function start(engine: Parameters<typeof openEnv>[0], dir: string, id: number, fresh: boolean): Member {
  const env = openEnv(engine, dir);
  const storage = env.channel('sys').raft;
  if (fresh) storage.applySnapshot({ data: new Uint8Array(), metadata: { index: 1, term: 1, confState: { ...emptyConfState, voters: ids } } });
  // applied = the snapshot point: every committed entry after it is applied again from storage.
  const node = new RawNode({ id, electionTick: 10, heartbeatTick: 1, storage, applied: storage.snapshot().metadata.index, random: seededRandom(id) });
  return { env, node, applied: [] };
}

/** Runs every node's Ready loop (persist, then send, apply, advance) and delivers messages until quiet. */
async function settle(members: Map<number, Member>): Promise<void> {
  for (let round = 0; round < 500; round++) {
    let busy = false;
    const inbox: Message[] = [];
    for (const m of members.values()) {
      while (m.node.hasReady()) {
        busy = true;
        const rd = m.node.ready();
        await m.env.channel('sys').raft.persistReady(rd);
        inbox.push(...rd.messages);
        for (const e of rd.committedEntries) if (e.type === EntryType.Normal && e.data.length > 0) m.applied.push(new TextDecoder().decode(e.data));
        m.node.advance(rd);
      }
    }
    for (const msg of inbox) {
      busy = true;
      members.get(msg.to)?.node.step(msg);
    }
    if (!busy) return;
  }
  throw new Error('cluster did not settle in 500 rounds');
}

function leader(members: Map<number, Member>): Member {
  const leaders = [...members.values()].filter((m) => m.node.status().softState.raftState === StateType.Leader);
  expect(leaders).toHaveLength(1);
  return leaders[0]!;
}

for (const engine of engines) {
  describe(`Raft core on durable storage (${engine})`, () => {
    const dirs = new Map<number, string>();
    afterEach(() => {
      for (const d of dirs.values()) removeDir(d);
      dirs.clear();
    });

    it('commits, restarts from disk, re-applies the same entries and keeps committing', async () => {
      for (const id of ids) dirs.set(id, tempDir());
      let members = new Map(ids.map((id) => [id, start(engine, dirs.get(id)!, id, true)]));
      members.get(1)!.node.campaign();
      await settle(members);
      for (let i = 0; i < 20; i++) leader(members).node.propose(new TextEncoder().encode(`tx-${i}`));
      await settle(members);
      // One more round of heartbeats so followers learn the final commit index.
      for (let t = 0; t < 2; t++) for (const m of members.values()) m.node.tick();
      await settle(members);
      const before = [...members.values()].map((m) => m.applied);
      expect(before[0]).toHaveLength(20);
      for (const a of before) expect(a).toEqual(before[0]);
      const termBefore = leader(members).node.status().hardState.term;
      for (const m of members.values()) await m.env.close();

      members = new Map(ids.map((id) => [id, start(engine, dirs.get(id)!, id, false)]));
      for (const m of members.values()) expect(m.node.status().hardState.term).toBe(termBefore);
      members.get(2)!.node.campaign();
      await settle(members);
      const newLeader = leader(members);
      expect(newLeader.node.status().hardState.term).toBeGreaterThan(termBefore);
      newLeader.node.propose(new TextEncoder().encode('after-restart'));
      await settle(members);
      for (const m of members.values()) {
        // Everything committed before the crash comes back from storage, in order, then the new entry.
        expect(m.applied.slice(0, 20)).toEqual(before[0]);
      }
      expect(newLeader.applied.at(-1)).toBe('after-restart');
      for (const m of members.values()) await m.env.close();
    });
  });
}
