import { RaftError } from './errors.js';
import { Progress } from './progress.js';
import type { Inflights } from './inflights.js';
import type { MembershipConfig } from './tracker.js';
import { ConfChangeType, type ConfChange, type ConfState } from './types.js';

/** A new membership and the progress map that goes with it. */
export interface ConfigChangeResult {
  readonly config: MembershipConfig;
  readonly progress: ReadonlyMap<number, Progress>;
}

/**
 * Applies single-step membership changes (ConfChange v1) to a copy of the
 * tracker's state. At most one voter may change per call: anything more needs
 * joint consensus, which this core deliberately does not implement.
 * `lastIndex` seeds the progress of new members (next = max(lastIndex, 1)).
 */
export function applySimpleChanges(
  base: ConfigChangeResult,
  newInflights: () => Inflights,
  lastIndex: number,
  changes: readonly ConfChange[],
): ConfigChangeResult {
  const voters = new Set(base.config.voters);
  const learners = new Set(base.config.learners);
  const progress = new Map<number, Progress>();
  for (const [id, pr] of base.progress) progress.set(id, pr.clone());

  const init = (id: number, isLearner: boolean): void => {
    (isLearner ? learners : voters).add(id);
    progress.set(id, new Progress(Math.max(lastIndex, 1), newInflights(), isLearner, true));
  };
  for (const cc of changes) {
    const id = cc.nodeId;
    if (id === 0) continue; // etcd: a zero id is a no-op change
    const pr = progress.get(id);
    switch (cc.type) {
      case ConfChangeType.AddNode:
        if (!pr) init(id, false);
        else {
          pr.isLearner = false;
          learners.delete(id);
          voters.add(id);
        }
        break;
      case ConfChangeType.AddLearnerNode:
        if (!pr) init(id, true);
        else if (!pr.isLearner) {
          voters.delete(id);
          pr.isLearner = true;
          learners.add(id);
        }
        break;
      case ConfChangeType.RemoveNode:
        voters.delete(id);
        learners.delete(id);
        progress.delete(id);
        break;
      case ConfChangeType.UpdateNode:
        break;
      default:
        throw new RaftError('conf-change-invalid', `unexpected conf change type ${String(cc.type)} for node ${id}`);
    }
  }
  if (voters.size === 0) throw new RaftError('conf-change-invalid', 'conf change would remove all voters');
  let changed = 0;
  for (const id of voters) if (!base.config.voters.has(id)) changed++;
  for (const id of base.config.voters) if (!voters.has(id)) changed++;
  if (changed > 1) {
    throw new RaftError('conf-change-unsupported', 'more than one voter changed without entering joint config (joint consensus is not supported)');
  }
  return { config: { voters, learners }, progress };
}

/**
 * Rebuilds membership from a ConfState (start-up, snapshot restore) by adding
 * its members one at a time. A joint ConfState is refused.
 */
export function restoreConfState(base: ConfigChangeResult, newInflights: () => Inflights, lastIndex: number, cs: ConfState): ConfigChangeResult {
  if (cs.votersOutgoing.length > 0 || cs.learnersNext.length > 0 || cs.autoLeave) {
    throw new RaftError('conf-change-unsupported', 'joint configurations (ConfChangeV2) are not supported');
  }
  let state = base;
  const step = (cc: ConfChange): void => {
    state = applySimpleChanges(state, newInflights, lastIndex, [cc]);
  };
  for (const id of cs.voters) step({ type: ConfChangeType.AddNode, nodeId: id });
  for (const id of cs.learners) step({ type: ConfChangeType.AddLearnerNode, nodeId: id });
  return state;
}
