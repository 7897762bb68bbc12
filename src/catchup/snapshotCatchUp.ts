// What the chain asks of catch-up when a snapshot leaves its ledger behind.

import type { Block } from '../block/index.js';

/** Where a follower that received a snapshot pulls the blocks it lacks. */
export interface SnapshotCatchUp {
  /**
   * Blocks [fromNumber, target.header.number] are missing here: append them
   * to this node's ledger (from another orderer) and resolve once they are
   * durable. Called again for blocks committed while a pull ran.
   */
  pullBlocks(fromNumber: number, target: Block): Promise<void>;
  /**
   * Optional: the newest block the other orderers serve (undefined when none
   * answered). With it, a node without a leader for evictionSuspicionMs checks
   * whether it is still a consenter (eviction suspicion).
   */
  newestBlock?(): Promise<Block | undefined>;
  /**
   * Optional: block `number` as another orderer serves it, verified on its
   * own; undefined when none served it. With newestBlock, eviction suspicion
   * reads the latest config block (the newest block's LAST_CONFIG).
   */
  blockAt?(number: number): Promise<Block | undefined>;
  /** Optional: called when the chain closes (stops pulls, releases connections). */
  close?(): void;
}
