// The leader's check of a CONFIG envelope before it is ordered (Fabric's
// msgprocessor + etcdraft's consenter checks): readable config transaction,
// every signature verifies, the submitter is an admin of a current
// organization, configtx's validateConfigTransition against the current
// config, and — for a consenter change — a quorum of reachable voters after it.
// The envelope's creator was already checked against the channel's MSPs by
// the verifier (pool) like any envelope.

import {
  createCreatorKeyResolver,
  decodeSerializedIdentity,
} from '../../block/index.js';
import {
  ConfigTransitionError,
  isOrganizationAdmin,
  readConfigTransaction,
  validateConfigTransition,
  type ChannelConfigValues,
  type ConfigTransaction,
  type SignedData,
  type TransitionResult,
} from '../../block/index.js';
import { createCryptoProvider } from '../../crypto/index.js';
import type { Engine } from '../../crypto/index.js';
import { OrdererError } from '../../errors.js';
import type { ChannelConfigState } from './channelConfig.js';
import { BadRequestError } from '../errors.js';
import { checkQuorumAfterChange } from './membership.js';

/** A config update refused because of who asks or signs (client status FORBIDDEN). */
export class ForbiddenError extends OrdererError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

export interface ConfigCheckContext {
  readonly state: ChannelConfigState;
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

/** Throws BadRequestError / ForbiddenError naming the broken rule; returns the next config when it may be ordered. */
export function checkConfigEnvelope(envelope: Uint8Array, ctx: ConfigCheckContext): AcceptedConfig {
  let tx: ConfigTransaction;
  try {
    tx = readConfigTransaction(envelope);
  } catch (err) {
    if (err instanceof OrdererError) throw new BadRequestError(`config envelope refused: ${err.message}`);
    throw err;
  }
  verifySignatures(tx, ctx.engine);
  const submitter = submitterOf(tx.envelopeSignature, ctx.state.values);
  let transition: TransitionResult;
  try {
    transition = validateConfigTransition(ctx.state.values, tx.values, submitter, ctx.state.ids, { engine: ctx.engine, now: ctx.now });
  } catch (err) {
    if (!(err instanceof ConfigTransitionError)) throw err;
    if (err.rule === 'submitter-not-admin') throw new ForbiddenError(err.message);
    throw new BadRequestError(err.message);
  }
  if (ctx.quorum !== undefined) checkQuorum(transition, ctx.selfId, ctx.quorum);
  return { next: tx.values, transition };
}

function verifySignatures(tx: ConfigTransaction, engine: Engine): void {
  const provider = createCryptoProvider(engine);
  const keyOf = createCreatorKeyResolver();
  const all: [string, SignedData][] = [
    ['the CONFIG envelope signature', tx.envelopeSignature],
    ...tx.updateSignatures.map((s, i): [string, SignedData] => [`config update signature ${i}`, s]),
  ];
  for (const [what, signed] of all) {
    let ok: boolean;
    try {
      const key = keyOf(decodeSerializedIdentity(signed.creator).idBytes);
      ok = provider.verifier(key.algorithm).verify(key.publicKey, signed.data, signed.signature);
    } catch (err) {
      if (!(err instanceof OrdererError)) throw err;
      throw new ForbiddenError(`config update refused (signature): ${what} has an unusable creator: ${err.message}`);
    }
    if (!ok) throw new ForbiddenError(`config update refused (signature): ${what} does not verify`);
  }
}

function submitterOf(signed: SignedData, current: ChannelConfigValues): { creatorMspId: string; creatorIsAdmin: boolean } {
  const identity = decodeSerializedIdentity(signed.creator);
  const org = current.organizations.find((o) => o.mspId === identity.mspid);
  const pem = new TextDecoder().decode(identity.idBytes);
  return { creatorMspId: identity.mspid, creatorIsAdmin: org !== undefined && isOrganizationAdmin(org, pem) };
}

function checkQuorum(transition: TransitionResult, selfId: number, quorum: NonNullable<ConfigCheckContext['quorum']>): void {
  const { added, removed, rotated } = transition.consenters;
  const { voters, isReachable } = quorum;
  if (added !== undefined) checkQuorumAfterChange([...voters, added.id], added.id, selfId, isReachable);
  else if (removed !== undefined) checkQuorumAfterChange(voters.filter((id) => id !== removed.id), removed.id, selfId, isReachable);
  // The leader rotating its own certificate counts too: the peers re-pin at once and refuse it until it restarts with the new one.
  else if (rotated !== undefined) checkQuorumAfterChange(voters, rotated.id, selfId, isReachable);
}
