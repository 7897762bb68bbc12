// validateConfigTransition: whether the leader may order a proposed config
// after the current one. Fabric's rules (configtx validator, channelconfig,
// etcdraft CheckConfigMetadata / ValidateConsensusMetadata /
// ComputeMembershipChanges), applied to the config a CONFIG_UPDATE produced
// after its policies were satisfied (configUpdate.ts). The first broken rule
// is thrown as a ConfigTransitionError naming it.

import { isDeepStrictEqual } from 'node:util';
import { OrdererError } from '../../errors.js';
import { validateBatchSize, type BatchSize } from '../blockCutter.js';
import { decodePemBlocks } from '../../crypto/index.js';
import { readTlsCertificate } from '../../crypto/index.js';
import type { ChannelConfigValues, ConsenterValues, RaftOptionValues } from './channelValues.js';
import { consenterKey, diffConsenters, initialConsenterIds, type ConsenterDiff, type ConsenterIds } from './consenters.js';
import { checkConsenterTlsCertificates, type ConsenterTlsCheck } from './consenterTls.js';
import { ConfigTransitionError } from './errors.js';
import { ETCDRAFT } from './extract.js';

export interface TransitionResult {
  readonly consenters: ConsenterDiff;
  /** Raft options that differ; only snapshotIntervalSizeBytes and maxInflightBlocks take effect without a restart. */
  readonly changedRaftOptions: readonly (keyof RaftOptionValues)[];
  /** Whether the orderer section (batch values, consensus, orderer orgs, orderer capabilities) changes. */
  readonly ordererSectionChanged: boolean;
}

/** Raft options the chain applies at once; the others take effect when a node restarts (as in Fabric). */
export const RUNTIME_RAFT_OPTIONS: readonly (keyof RaftOptionValues)[] = ['snapshotIntervalSizeBytes', 'maxInflightBlocks'];

/**
 * Checks `next` against `current`. `ids` maps the current consenters to Raft
 * ids (the last block's etcdraft metadata; default: 1..n as at genesis).
 * `tls`, when given, also checks that the consenters' TLS certificates chain
 * to the orderer organizations' TLS CAs (and that arriving ones are valid now).
 */
export function validateConfigTransition(
  current: ChannelConfigValues,
  next: ChannelConfigValues,
  ids: ConsenterIds = initialConsenterIds(current.consenters),
  tls?: ConsenterTlsCheck,
): TransitionResult {
  if (next.sequence !== current.sequence + 1) {
    throw new ConfigTransitionError('sequence', `config sequence must be ${current.sequence + 1} (current ${current.sequence} + 1), got ${next.sequence}`);
  }
  if (next.channelId !== current.channelId) {
    throw new ConfigTransitionError('channel-id', `config is for channel "${next.channelId}", this channel is "${current.channelId}"`);
  }
  if (next.hashAlgorithm !== current.hashAlgorithm || next.signatureAlgorithm !== current.signatureAlgorithm) {
    throw new ConfigTransitionError(
      'hash-algorithm',
      `a channel's crypto suite cannot change (${current.hashAlgorithm}/${current.signatureAlgorithm} to ${next.hashAlgorithm}/${next.signatureAlgorithm})`,
    );
  }
  if (next.consensusType !== ETCDRAFT || current.consensusType !== ETCDRAFT) {
    throw new ConfigTransitionError(
      'consensus-type',
      `consensus type must stay "${ETCDRAFT}" (current "${current.consensusType}", proposed "${next.consensusType}"); migration is not supported`,
    );
  }
  checkBatch(next.batchSize, next.batchTimeoutMs);
  checkRaftOptions(next.raftOptions);
  checkOrganizations(next);
  const consenters = checkConsenters(current, next, ids);
  if (tls !== undefined) {
    const arriving = [consenters.added?.consenter, consenters.rotated?.to].filter((c): c is ConsenterValues => c !== undefined);
    checkConsenterTlsCertificates(next, arriving, tls);
  }
  const changedRaftOptions = (Object.keys(next.raftOptions!) as (keyof RaftOptionValues)[]).filter((k) => current.raftOptions![k] !== next.raftOptions![k]);
  const ordererSectionChanged =
    !isDeepStrictEqual(current.batchSize, next.batchSize) ||
    current.batchTimeoutMs !== next.batchTimeoutMs ||
    changedRaftOptions.length > 0 ||
    !isDeepStrictEqual(current.consenters, next.consenters) ||
    !isDeepStrictEqual(ordererOrgs(current), ordererOrgs(next)) ||
    !isDeepStrictEqual(current.capabilities.orderer, next.capabilities.orderer);
  return { consenters, changedRaftOptions, ordererSectionChanged };
}

function ordererOrgs(values: ChannelConfigValues) {
  return values.organizations.filter((o) => o.sections.includes('orderer'));
}

function checkBatch(batchSize: BatchSize, batchTimeoutMs: number): void {
  try {
    validateBatchSize(batchSize);
  } catch (err) {
    if (!(err instanceof OrdererError)) throw err;
    throw new ConfigTransitionError('batch-size', err.message);
  }
  if (!(Number.isSafeInteger(batchTimeoutMs) && batchTimeoutMs > 0)) {
    throw new ConfigTransitionError('batch-timeout', `batch timeout must be positive, got ${batchTimeoutMs} ms`);
  }
}

/** Fabric's CheckConfigMetadata on the options. */
function checkRaftOptions(options: RaftOptionValues | undefined): void {
  if (options === undefined) throw new ConfigTransitionError('raft-options', 'etcdraft options are missing');
  const { heartbeatTick, electionTick, maxInflightBlocks, tickIntervalMs } = options;
  if (heartbeatTick === 0 || electionTick === 0 || maxInflightBlocks === 0) {
    throw new ConfigTransitionError(
      'raft-options',
      `none of HeartbeatTick (${heartbeatTick}), ElectionTick (${electionTick}) and MaxInflightBlocks (${maxInflightBlocks}) can be zero`,
    );
  }
  if (electionTick <= heartbeatTick) {
    throw new ConfigTransitionError('raft-options', `ElectionTick (${electionTick}) must be greater than HeartbeatTick (${heartbeatTick})`);
  }
  if (tickIntervalMs <= 0) throw new ConfigTransitionError('raft-options', `TickInterval must be positive, got ${tickIntervalMs} ms`);
}

function checkOrganizations(next: ChannelConfigValues): void {
  if (ordererOrgs(next).length === 0) throw new ConfigTransitionError('organizations', 'the config must keep at least one orderer organization');
}

function checkConsenters(current: ChannelConfigValues, next: ChannelConfigValues, ids: ConsenterIds): ConsenterDiff {
  if (next.consenters.length === 0) throw new ConfigTransitionError('consenter-set-empty', 'the consenter set cannot be empty');
  const seen = new Set<string>();
  const clients = new Set<string>();
  for (const c of next.consenters) {
    if (c.host === '' || !(Number.isInteger(c.port) && c.port >= 1 && c.port <= 65_535)) {
      throw new ConfigTransitionError('consenter-endpoint', `consenter "${c.host}:${c.port}" needs a host and a port in 1..65535`);
    }
    checkCertificate(c, 'client', c.clientTlsCertPem);
    checkCertificate(c, 'server', c.serverTlsCertPem);
    // Fabric's duplicate check: the same client and server certificates twice.
    const key = `${c.clientTlsCertPem}\n${c.serverTlsCertPem}`;
    if (seen.has(key)) throw new ConfigTransitionError('duplicate-consenter', `consenter ${c.host}:${c.port} is listed twice`);
    seen.add(key);
    // A consenter is known by its client certificate: two with the same one cannot be told apart.
    const client = consenterKey(c);
    if (clients.has(client))
      throw new ConfigTransitionError('duplicate-consenter', `consenter ${c.host}:${c.port} has the client TLS certificate of another consenter`);
    clients.add(client);
  }
  return diffConsenters(current.consenters, ids, next.consenters);
}

/**
 * Fabric's validateConsenterTLSCerts, first part: both certificates are X.509
 * PEM that OpenSSL reads, of any algorithm Node's TLS takes (chain and expiry: see CONFIGTX.md).
 */
function checkCertificate(consenter: ConsenterValues, which: 'client' | 'server', pem: string): void {
  const what = `consenter ${consenter.host}:${consenter.port} ${which} TLS certificate`;
  try {
    const block = decodePemBlocks(pem, what).find((b) => b.label === 'CERTIFICATE');
    if (block === undefined) throw new ConfigTransitionError('consenter-certificate', `${what} is not a PEM certificate`);
    readTlsCertificate(block.der, what);
  } catch (err) {
    if (err instanceof ConfigTransitionError || !(err instanceof OrdererError)) throw err;
    throw new ConfigTransitionError('consenter-certificate', `${what} does not parse: ${err.message}`);
  }
}
