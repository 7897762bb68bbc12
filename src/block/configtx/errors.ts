// Operating errors of channel configuration: a config that does not say what
// an etcdraft channel needs, or an update this orderer must refuse. Messages
// start with the config path of the offending element
// (`channel_group.groups.Orderer.values.BatchSize: ...`).

import { OrdererError } from '../../errors.js';

/** A channel config that is readable protobuf but not a usable etcdraft channel config. */
export class ChannelConfigError extends OrdererError {
  constructor(
    /** Config path of the bad element, e.g. `channel_group.groups.Orderer.values.BatchSize`. */
    readonly path: string,
    reason: string,
  ) {
    super('BAD_CHANNEL_CONFIG', `${path}: ${reason}`);
  }
}

/** Names of the rules validateConfigTransition enforces; stable, for callers and metrics. */
export type TransitionRule =
  | 'sequence'
  | 'channel-id'
  | 'hash-algorithm'
  | 'consensus-type'
  | 'consenter-set-empty'
  | 'one-consenter-change'
  | 'duplicate-consenter'
  | 'consenter-certificate'
  | 'consenter-endpoint'
  | 'batch-size'
  | 'batch-timeout'
  | 'raft-options'
  | 'organizations';

/** A proposed config refused against the current one; `rule` names what was broken. */
export class ConfigTransitionError extends OrdererError {
  constructor(
    readonly rule: TransitionRule,
    message: string,
  ) {
    super('BAD_CONFIG_UPDATE', `config update refused (${rule}): ${message}`);
  }
}

/**
 * A CONFIG_UPDATE this orderer refuses, with Fabric's reason text. `forbidden`:
 * the signatures do not satisfy a mod_policy (client status FORBIDDEN); else
 * the update itself is wrong (BAD_REQUEST).
 */
export class ConfigUpdateError extends OrdererError {
  constructor(
    readonly forbidden: boolean,
    message: string,
  ) {
    super(forbidden ? 'CONFIG_UPDATE_FORBIDDEN' : 'BAD_CONFIG_UPDATE', message);
  }
}
