// This node's view of Raft leadership, as of the last Ready processed: who
// leads, in which term, and what a change sets off (the leader metrics and
// log line, the router's become-leader / step-down, the liveness watch).

import type { Logger } from 'pino';
import { StateType, type SoftState } from '../../raft/index.js';
import type { ChainMetrics } from '../metrics.js';

export interface LeadershipHost {
  readonly log: Logger;
  readonly metrics: ChainMetrics;
  /** Every soft state, the leader id 0 (none known) included; after becameLeader / steppedDown. */
  onLeader(leaderId: number): void;
  /** This node became leader. */
  becameLeader(): void;
  /** This node led and no longer does. */
  steppedDown(): void;
}

export class Leadership {
  #soft: SoftState = { lead: 0, raftState: StateType.Follower };
  /** The Raft term of the last HardState seen. */
  #term = 0;

  constructor(private readonly host: LeadershipHost) {}

  get isLeader(): boolean {
    return this.#soft.raftState === StateType.Leader;
  }

  /** The known leader, 0 if none. */
  get leaderId(): number {
    return this.#soft.lead;
  }

  get term(): number {
    return this.#term;
  }

  set term(term: number) {
    this.#term = term;
  }

  /** A Ready's soft state. */
  onSoftState(ss: SoftState): void {
    const before = this.#soft;
    this.#soft = ss;
    if (ss.lead !== before.lead) {
      // As Fabric: every change counts, losing the leader (-> 0) included.
      this.host.metrics.leaderChanges.inc();
      this.host.log.info({ leader: ss.lead, term: this.#term }, `raft leader changed: ${before.lead} -> ${ss.lead}`);
    }
    const wasLeader = before.raftState === StateType.Leader;
    const isLeader = ss.raftState === StateType.Leader;
    this.host.metrics.isLeader.set(isLeader ? 1 : 0);
    if (isLeader && !wasLeader) this.host.becameLeader();
    else if (wasLeader && !isLeader) this.host.steppedDown();
    // Last: a new leader's pipeline takes envelopes by now (forwards re-routed to this node land in it).
    this.host.onLeader(ss.lead);
  }
}
