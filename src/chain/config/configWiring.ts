// Where a committed config block's values land in one chain: the intake's
// BatchSize and organizations (submitPath.ts), the leader pipeline's batch
// settings and in-flight bound, the applier's snapshot interval. Also the
// guard that turns config management off when the ledger's config cannot be
// trusted to name the Raft voters.

import type { Logger } from 'pino';
import type { ClusterTransport } from '../../cluster/index.js';
import type { RawNode } from '../../raft/index.js';
import type { ChannelStorage } from '../../storage/index.js';
import type { BlockApplier } from '../order/blockApplier.js';
import type { ChainCompute } from '../compute/compute.js';
import { consenterIdsMismatch, loadConfigState } from './channelConfig.js';
import { ConfigControl } from './configControl.js';
import { PipelineState, type LeaderPipeline } from '../order/leaderPipeline.js';
import type { Leadership } from '../order/leadership.js';
import type { ChainMetrics } from '../metrics.js';
import type { ResolvedChainOptions } from '../options.js';
import type { SubmitPath } from '../submit/submitPath.js';

/** The chain's parts a config change reaches; getters for those built after the config tracker. */
export interface ConfigurableParts {
  readonly opts: ResolvedChainOptions;
  /** Signs the CONFIG envelopes this node creates from config updates. */
  readonly compute: ChainCompute;
  readonly storage: ChannelStorage;
  readonly transport: ClusterTransport;
  readonly log: Logger;
  readonly metrics: ChainMetrics;
  readonly intake: SubmitPath;
  readonly pipeline: LeaderPipeline;
  readonly leadership: Leadership;
  raft(): RawNode;
  applier(): BlockApplier;
  kick(): void;
}

/**
 * The config tracker over the ledger's last config block; undefined (config
 * updates refused) when that block holds no readable config, or when the
 * channel was founded with voters other than its block 0's consenter ids:
 * managing Raft membership against the wrong ids would add and remove the wrong nodes.
 */
export function openConfigControl(parts: ConfigurableParts): ConfigControl | undefined {
  const { opts, storage, log, pipeline, intake } = parts;
  const state = loadConfigState(storage.ledger, log);
  if (state === undefined) return undefined;
  // Consenters of a config block the ledger has not reached yet (a join from a later config block, a re-onboarding) are no founding voters.
  const mismatch = opts.consentersBlock > state.blockNumber ? undefined : consenterIdsMismatch(state, opts.consenters);
  if (mismatch !== undefined) {
    log.warn(`${mismatch}: config updates are refused on this channel`);
    return undefined;
  }
  return new ConfigControl(state, {
    channelId: opts.channelId,
    selfId: opts.selfId,
    engine: opts.engine,
    ordererIdentity: () => parts.compute.ordererIdentity(),
    log,
    metrics: parts.metrics,
    transport: parts.transport,
    raft: () => parts.raft(),
    servingLeader: () => parts.leadership.isLeader && pipeline.state === PipelineState.Serving,
    holdsUncommitted: () => pipeline.waitingCount > 0 || pipeline.unproposedCount > 0 || pipeline.inflightBlocks > 0,
    applyBatch: (values) => {
      intake.setBatchSize(values.batchSize);
      pipeline.applyBatchSettings(values.batchSize, values.batchTimeoutMs);
    },
    applySnapshotInterval: (bytes) => parts.applier().setSnapshotInterval(bytes),
    applyMaxInflightBlocks: (max) => pipeline.setMaxInflightBlocks(max),
    snapshotNow: (appliedIndex) => parts.applier().snapshotNow(appliedIndex),
    ledgerLastConfig: () => storage.ledger.lastConfig,
    loadLedgerConfig: () => loadConfigState(storage.ledger, log),
    applyOrganizations: (organizations) => intake.setOrganizations(organizations),
    kick: () => parts.kick(),
    electionTicks: opts.electionTick,
  });
}
