// The Raft id and plan a channel starts with when the node's storage holds
// it: the Raft id a re-onboarding recorded first (reonboarding.ts), else the
// one the ledger's latest config gives this node; the consenters of the
// config block that gave the recorded id while the ledger has not reached it
// (the re-onboarded chain is catching up), else those of the ledger's latest
// config once the ledger holds a config update, else the given plan's.

import type { Logger } from 'pino';
import { decodeBlock, readBlockSignatures, type Block } from '../block/index.js';
import { OrdererError } from '../errors.js';
import type { ChannelStorage } from '../storage/index.js';
import type { ChannelPlan } from './channelPlan.js';
import { joinPlanOfBlock } from './joinPlan.js';
import { channelRaftId, recordAheadOfLedger, recordedPlan, withNodeSettingsOf, type NodeIdentity } from './reonboarding.js';

export interface ChannelStart {
  /** The Raft id to run the channel as. */
  readonly selfId: number;
  readonly plan: ChannelPlan;
  /** The config block of the Raft id record, when the ledger has not reached it: its consenters are the plan's. */
  readonly ahead?: Block | undefined;
}

/**
 * What a channel starts with, `given` its plan from the node config, the
 * participation API or the previous run (its node-side settings are kept).
 */
export function channelStart(given: ChannelPlan, storage: ChannelStorage, self: NodeIdentity, log: Logger): ChannelStart {
  const selfId = channelRaftId(storage, self);
  const ahead = recordAheadOfLedger(storage);
  // A configured channel whose ledger holds a config update (consenters added, removed, re-added under a new id; this node
  // re-onboarded under another id): its ledger's latest config wins over the file's consenters. With the file's, a restarted
  // node refused streams from a consenter added since ("not a configured consenter") and never heard its leader again.
  const updated = storage.ledger.height > 0 && storage.ledger.lastConfig > 0;
  const fromGiven = given.chain.consenters.includes(selfId) && !updated && ahead === undefined;
  return { selfId, plan: fromGiven ? given : withNodeSettingsOf(given, storedPlan(storage, self, log)), ahead };
}

/**
 * A stored channel's plan, under the Raft id it runs as (channelRaftId): the
 * config block of its Raft id record while the ledger has not reached it,
 * else its ledger's latest config block (the LAST_CONFIG index of its last
 * block), with block 0 as genesis. A ledger whose latest config does not give
 * this node the recorded id (removed, or re-added again, since) falls back to
 * the record's block: the chain runs as that id and eviction suspicion finds
 * out what became of it. Throws OrdererError when this node cannot serve it.
 */
export function storedPlan(storage: ChannelStorage, self: NodeIdentity, log: Logger): ChannelPlan {
  const { ledger } = storage;
  const genesis = ledger.height > 0 ? ledger.block(0).bytes : undefined;
  const record = storage.raft.raftId;
  if (record !== undefined && recordAheadOfLedger(storage) !== undefined) return recordedPlan(record, genesis, self.tlsCertPem);
  const as = { nodeId: channelRaftId(storage, self), tlsCertPem: self.tlsCertPem };
  const lastConfig = readBlockSignatures(decodeBlock(ledger.block(ledger.height - 1).bytes)).lastConfigIndex ?? 0;
  try {
    if (lastConfig === 0 || lastConfig >= ledger.height) return joinPlanOfBlock(genesis!, as).plan;
    return joinPlanOfBlock(ledger.block(lastConfig).bytes, as, genesis).plan;
  } catch (error) {
    if (record === undefined || !(error instanceof OrdererError)) throw error;
    log.warn(
      { channel: ledger.channel, raftId: record.raftId, err: error },
      `the ledger's latest config does not give this node its recorded Raft id ${record.raftId}: running the channel from the config block that gave it`,
    );
    return recordedPlan(record, genesis, self.tlsCertPem);
  }
}
