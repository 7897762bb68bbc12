// Our Raft core against etcd-raft's own interaction tests (datadriven files).
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeFailures, runInteractionFile, runInteractionText } from '../../scripts/raft-interaction/runner.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/etcd-raft');
const listTxt = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort();

describe('etcd-raft interaction files', () => {
  const core = listTxt(fixtures);
  it('has the ten files of the issue', () => {
    expect(core).toHaveLength(10);
  });
  for (const file of core) {
    it(file, () => {
      const r = runInteractionFile(path.join(fixtures, file));
      expect(r.cases).toBeGreaterThan(0);
      expect(r.failures, describeFailures(r)).toEqual([]);
    });
  }
});

describe('etcd-raft interaction files beyond the ten (extra/)', () => {
  const dir = path.join(fixtures, 'extra');
  for (const file of listTxt(dir)) {
    it(file, () => {
      const r = runInteractionFile(path.join(dir, file));
      expect(r.failures, describeFailures(r)).toEqual([]);
    });
  }
});

describe('the harness itself', () => {
  const campaign = `add-nodes 1 voters=(1) index=3
----
INFO 1 switched to configuration voters=(1)

campaign 1
----
INFO 1 is starting a new election at term 0

stabilize
----
> 1 handling Ready
  Ready MustSync=true:
  Lead:0 State:StateCandidate
  HardState Term:1 Vote:1 Commit:3
> 1 handling Ready
  Ready MustSync=true:
  Lead:1 State:StateLeader
  Entries:
  1/4 EntryNormal ""
> 1 handling Ready
  Ready MustSync=false:
  HardState Term:1 Vote:1 Commit:4
  CommittedEntries:
  1/4 EntryNormal ""
`;

  it('passes a file whose output matches (log lines ignored)', () => {
    expect(runInteractionText(campaign, 'inline').failures).toEqual([]);
  });

  it('reports the diverging command with a diff when the output differs', () => {
    const broken = campaign.replace('Commit:4', 'Commit:5');
    const r = runInteractionText(broken, 'inline');
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]!.testCase.cmd).toBe('stabilize');
    const report = describeFailures(r);
    expect(report).toContain('-   HardState Term:1 Vote:1 Commit:5');
    expect(report).toContain('+   HardState Term:1 Vote:1 Commit:4');
  });

  it('transfer-leadership hands leadership over (a command none of the files uses)', () => {
    const text = `log-level none
----
ok

add-nodes 3 voters=(1,2,3) index=2
----
ok

campaign 1
----
ok

stabilize
----
ok

transfer-leadership from=1 to=2
----
ok

stabilize
----
ok

log-level debug
----
ok

raft-state
----
1: StateFollower (Voter) Term:2 Lead:2
2: StateLeader (Voter) Term:2 Lead:2
3: StateFollower (Voter) Term:2 Lead:2
`;
    const r = runInteractionText(text, 'inline');
    expect(r.failures, describeFailures(r)).toEqual([]);
  });

  it('prints etcd error texts and "ok" for silent commands', () => {
    const text = `log-level none
----
ok

add-nodes 2 voters=(1,2) index=2
----
ok

propose 1 foo
----
raft proposal dropped

stabilize
----
ok
`;
    expect(runInteractionText(text, 'inline').failures).toEqual([]);
  });
});
