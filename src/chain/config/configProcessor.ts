// The config path of a channel (Fabric's msgprocessor ProcessConfigUpdateMsg
// / ProcessConfigMsg + etcdraft's consenter checks): a client's CONFIG_UPDATE
// becomes the CONFIG envelope this orderer signs and orders —
//  1. configtx's proposeConfigUpdate against the current config: read set
//     versions, each changed element's mod_policy over the ConfigSignatures
//     (FORBIDDEN naming the policy), the next config with Fabric's versions;
//  2. the next config must be readable, its policies usable, and pass
//     validateConfigTransition (one consenter change, consenter TLS chains...);
//  3. on the leader, a consenter change must leave a quorum of reachable voters;
//  4. the CONFIG envelope {config, last_update} signed with the orderer's identity.
// A CONFIG envelope (forwarded by a consenter, or re-checked before it is
// cut) is checked by re-running its last_update: it must produce the same
// config (Fabric's ProcessConfigMsg / configtx Validate).

import {
  ChannelConfigError,
  decodeEnvelope,
  type Envelope,
  type EnvelopeCreator,
  ConfigTransitionError,
  ConfigUpdateError,
  PolicyManager,
  SignerChecker,
  channelConfigValuesOf,
  channelMspsOf,
  configEnvelopeOf,
  proposeConfigUpdate,
  readConfigEnvelope,
  sameConfigGroup,
  validateConfigTransition,
  type ChannelConfigValues,
  type Config,
  type ConfigUpdatePolicies,
  type TransitionResult,
} from '../../block/index.js';
import type { Engine } from '../../crypto/index.js';
import { OrdererError } from '../../errors.js';
import type { ChannelConfigState } from './channelConfig.js';
import { BadRequestError } from '../errors.js';
import { checkQuorumAfterChange } from './membership.js';

/** A config update refused because its signatures do not satisfy a policy (client status FORBIDDEN). */
export class ForbiddenError extends OrdererError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

export interface ConfigCheckContext {
  readonly state: ChannelConfigState;
  /** The current config's policy manager and signer checker (built once per config state). */
  readonly policies: ConfigUpdatePolicies;
  readonly engine: Engine;
  readonly selfId: number;
  /**
   * Current Raft voters and reachability, on the leader (which proposes the
   * ConfChange and knows who answers); undefined on a follower, which leaves
   * the quorum check to the leader it forwards to.
   */
  readonly quorum: { readonly voters: readonly number[]; readonly isReachable: (id: number) => boolean } | undefined;
  readonly now: Date;
}

export interface AcceptedConfig {
  readonly next: ChannelConfigValues;
  readonly transition: TransitionResult;
}

/** The policies of a config state: its MSPs and policy tree. BadRequestError when its MSPs cannot judge signatures. */
export function policiesOf(state: ChannelConfigState, engine: Engine): ConfigUpdatePolicies {
  const group = state.config.channelGroup!;
  try {
    const msps = channelMspsOf(group);
    return { manager: new PolicyManager(group, msps), signers: new SignerChecker(msps, engine) };
  } catch (err) {
    if (!(err instanceof OrdererError)) throw err;
    throw new BadRequestError(`config updates are refused: the MSPs of config block ${state.blockNumber} cannot check signatures: ${err.message}`);
  }
}

/** A client's CONFIG_UPDATE envelope → the signed CONFIG envelope to order. Throws BadRequestError / ForbiddenError with the reason. */
export function processConfigUpdate(updateEnvelope: Uint8Array, ctx: ConfigCheckContext, orderer: EnvelopeCreator): AcceptedConfig & { envelope: Uint8Array } {
  const update = decodeEnvelope(updateEnvelope);
  const config = propose(update, ctx);
  const accepted = checkNext(config, ctx);
  return { ...accepted, envelope: configEnvelopeOf(ctx.state.values.channelId, config, update, orderer) };
}

/** A CONFIG envelope some orderer produced: its last_update must produce its config now. Throws BadRequestError / ForbiddenError. */
export function checkConfigEnvelope(envelope: Uint8Array, ctx: ConfigCheckContext): AcceptedConfig {
  let supplied: { readonly config?: Config; readonly lastUpdate?: Envelope };
  try {
    supplied = readConfigEnvelope(envelope).configEnvelope;
  } catch (err) {
    if (err instanceof OrdererError) throw new BadRequestError(`config envelope refused: ${err.message}`);
    throw err;
  }
  if (supplied.lastUpdate === undefined || supplied.config === undefined) {
    throw new BadRequestError('config envelope refused: a CONFIG envelope carries its config and the CONFIG_UPDATE (last_update) that produced it');
  }
  const config = propose(supplied.lastUpdate, ctx);
  if (config.sequence !== supplied.config.sequence || !sameConfigGroup(config.channelGroup, supplied.config.channelGroup)) {
    throw new BadRequestError('config envelope refused: ConfigEnvelope LastUpdate did not produce the supplied config result');
  }
  return checkNext(config, ctx);
}

function propose(update: Envelope, ctx: ConfigCheckContext): Config {
  try {
    return proposeConfigUpdate(ctx.state.values.channelId, ctx.state.config, update, ctx.policies, ctx.now).config;
  } catch (err) {
    if (!(err instanceof ConfigUpdateError)) throw err;
    throw err.forbidden ? new ForbiddenError(err.message) : new BadRequestError(err.message);
  }
}

function checkNext(config: Config, ctx: ConfigCheckContext): AcceptedConfig {
  const { state } = ctx;
  let next: ChannelConfigValues;
  try {
    next = channelConfigValuesOf(config, state.values.channelId);
    const problems = new PolicyManager(config.channelGroup!, channelMspsOf(config.channelGroup!)).problems;
    if (problems.length > 0) throw new ChannelConfigError('channel_group', problems[0]!);
  } catch (err) {
    if (err instanceof OrdererError) throw new BadRequestError(`config update refused: the resulting config is not valid: ${err.message}`);
    throw err;
  }
  let transition: TransitionResult;
  try {
    transition = validateConfigTransition(state.values, next, state.ids, { engine: ctx.engine, now: ctx.now });
  } catch (err) {
    if (!(err instanceof ConfigTransitionError)) throw err;
    throw new BadRequestError(err.message);
  }
  if (ctx.quorum !== undefined) checkQuorum(transition, ctx.selfId, ctx.quorum);
  return { next, transition };
}

function checkQuorum(transition: TransitionResult, selfId: number, quorum: NonNullable<ConfigCheckContext['quorum']>): void {
  const { added, removed, rotated } = transition.consenters;
  const { voters, isReachable } = quorum;
  if (added !== undefined) checkQuorumAfterChange([...voters, added.id], added.id, selfId, isReachable);
  else if (removed !== undefined)
    checkQuorumAfterChange(
      voters.filter((id) => id !== removed.id),
      removed.id,
      selfId,
      isReachable,
    );
  // The leader rotating its own certificate counts too: the peers re-pin at once and refuse it until it restarts with the new one.
  else if (rotated !== undefined) checkQuorumAfterChange(voters, rotated.id, selfId, isReachable);
}
