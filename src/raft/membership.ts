import { applySimpleChanges, type ConfigChangeResult } from './confchange.js';
import type { Raft } from './raft.js';
import { bcastAppend, maybeSendAppend } from './replication.js';
import { StateType } from './state.js';
import { confStateOf, describeMembership } from './tracker.js';
import type { ConfChange, ConfState } from './types.js';

/** Applies a committed single-step conf change and switches to the result. */
export function applyAndSwitchConfig(r: Raft, cc: ConfChange): ConfState {
  const result = applySimpleChanges({ config: r.trk.config, progress: r.trk.progress }, () => r.trk.newInflights(), r.log.lastIndex(), [cc]);
  return switchToConfig(r, result);
}

/**
 * Installs a new membership. A leader that is no longer a voter may step down
 * (stepDownOnRemoval); otherwise the quorum may have changed, so the commit
 * index is re-evaluated and followers are brought up to date.
 */
export function switchToConfig(r: Raft, next: ConfigChangeResult): ConfState {
  r.trk.config = next.config;
  r.trk.progress = next.progress;
  r.trk.assertInvariants();
  r.logger.info(`${r.hexId()} switched to configuration ${describeMembership(r.trk.config)}`);
  const cs = confStateOf(r.trk.config);
  const pr = r.trk.progress.get(r.id);
  r.isLearner = pr?.isLearner === true;
  if ((pr === undefined || r.isLearner) && r.state === StateType.Leader) {
    // Without stepDownOnRemoval the removed leader keeps leading (etcd's
    // historical behaviour) until it notices; proposals are refused meanwhile.
    if (r.cfg.stepDownOnRemoval) r.becomeFollower(r.term, 0);
    return cs;
  }
  if (r.state !== StateType.Leader || cs.voters.length === 0) return cs;
  if (r.maybeCommit()) {
    bcastAppend(r);
  } else {
    r.trk.visit((id) => {
      if (id !== r.id) maybeSendAppend(r, id, false);
    });
  }
  if (r.leadTransferee !== 0 && !r.trk.config.voters.has(r.leadTransferee)) r.leadTransferee = 0;
  return cs;
}
