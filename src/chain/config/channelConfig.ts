// The channel's current config as the chain acts on it: the values of its
// last config block and the Raft ids of its consenters (etcdraft block
// metadata, Fabric's positional mapping). Read from the ledger at start and
// replaced when a config block commits.

import type { Logger } from 'pino';
import { decodeBlock, type Block } from '../../block/index.js';
import { assignConsenterIds, consenterIdsOf, currentConfigOf, type ChannelConfigValues, type Config, type ConsenterIds } from '../../block/index.js';
import type { BlockLedger } from '../../storage/index.js';
import { OrdererError } from '../../errors.js';

export interface ChannelConfigState {
  /** Number of the config block these values come from. */
  readonly blockNumber: number;
  readonly values: ChannelConfigValues;
  /** The config tree the values come from (config updates are computed against it). */
  readonly config: Config;
  /** Invariant: ids.consenterIds.length === values.consenters.length; ids distinct and < nextConsenterId. */
  readonly ids: ConsenterIds;
}

/** The config state a config block holds; throws ChannelConfigError / MalformedMessageError when it carries no readable config. */
export function configStateOfBlock(block: Block): ChannelConfigState {
  const { values, config } = currentConfigOf(block);
  return { blockNumber: block.header.number, values, config, ids: consenterIdsOf(block, values.consenters) };
}

/**
 * The config state of the ledger's last config block, or undefined when that
 * block holds no readable Fabric config (a channel bootstrapped from a
 * placeholder genesis: config updates are then refused).
 */
export function loadConfigState(ledger: BlockLedger, log: Logger): ChannelConfigState | undefined {
  const number = Math.max(ledger.lastConfig, 0);
  try {
    return configStateOfBlock(decodeBlock(ledger.block(number).bytes));
  } catch (err) {
    if (!(err instanceof OrdererError)) throw err;
    log.warn({ block: number, err: err.message }, `config block ${number} holds no readable channel config: config updates are refused on this channel`);
    return undefined;
  }
}

/**
 * The state after the config block `block` commits on top of `current`:
 * its values, and consenter ids carried over (an added consenter gets
 * next_consenter_id, a rotated one keeps its id, as Fabric).
 */
export function nextConfigState(current: ChannelConfigState, block: Block): ChannelConfigState {
  const { values, config } = currentConfigOf(block);
  const ids = assignConsenterIds(current.values.consenters, current.ids, values.consenters);
  return { blockNumber: block.header.number, values, config, ids };
}

/** The Raft ids of the config's consenters, ascending. */
export function voterIdsOf(state: ChannelConfigState): number[] {
  return [...state.ids.consenterIds].sort((a, b) => a - b);
}

/**
 * Why the config's consenter ids cannot be this channel's Raft ids, or
 * undefined when they can. Block 0 numbers its consenters 1..n in config
 * order (Fabric); a channel founded from a config file with other ids (the
 * options' voters, as many as the config's consenters, another set) would
 * have its membership managed against the wrong ids. A node joining later
 * starts from block 0 with a different number of voters and is not refused.
 */
export function consenterIdsMismatch(state: ChannelConfigState, foundingVoters: readonly number[]): string | undefined {
  if (state.blockNumber !== 0) return undefined;
  const ids = voterIdsOf(state);
  if (ids.length !== foundingVoters.length) return undefined;
  if (ids.every((id, i) => id === foundingVoters[i])) return undefined;
  return `the channel's consenter ids (${foundingVoters.join(', ')}) are not those of its block 0, 1..n in config order (${ids.join(', ')})`;
}
