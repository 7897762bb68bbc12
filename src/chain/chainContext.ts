// What every part of one chain shares: the validated options, the injected
// collaborators, the channel's logger, clock, hasher, metrics, lifecycle and
// tx-id tracker, and the parts start() builds over the bootstrapped storage
// (the Raft node, the Ready loop, the block applier, config control, liveness).
// The wiring functions (order/orderWiring.ts, submit/intakeWiring.ts) build
// their parts from it; chain.ts composes them.

import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ClusterTransport } from '../cluster/index.js';
import { createCryptoProvider, type Hasher } from '../crypto/index.js';
import type { RawNode } from '../raft/index.js';
import type { ChannelStorage } from '../storage/index.js';
import type { SnapshotCatchUp } from '../catchup/index.js';
import { systemClock, type ChainClock } from '../clock.js';
import type { ChainCompute } from './compute/compute.js';
import type { ConfigControl } from './config/configControl.js';
import { ChainLifecycle } from './lifecycle.js';
import type { EvictionDeps, Liveness } from './liveness/liveness.js';
import { ChainMetrics } from './metrics.js';
import { resolveChainOptions, type ChainOptions, type ResolvedChainOptions } from './options.js';
import type { BlockApplier } from './order/blockApplier.js';
import { osRandom } from './order/osRandom.js';
import type { ReadyLoop } from './order/readyLoop.js';
import { TxTracker } from './submit/txTracker.js';

/** The collaborators a chain is built with (one of each per node, except storage: per channel). */
export interface ChainDeps {
  readonly storage: ChannelStorage;
  readonly transport: ClusterTransport;
  readonly compute: ChainCompute;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly clock?: ChainClock;
  readonly catchUp?: SnapshotCatchUp;
  /** The node's side of eviction suspicion: its TLS certificate and who hears the verdict; absent: looked up by Raft id only. */
  readonly eviction?: EvictionDeps;
  /** Uniform floats in [0, 1) for Raft's election timeouts and the early campaign's delay; default the OS's CSPRNG (tests pass a seeded one to replay). */
  readonly random?: () => number;
}

/** Stops the channel after an internal failure; `publicReason` is what submitters are told. */
export type Halt = (what: string, err: unknown, publicReason?: string) => void;

export class ChainContext {
  readonly channelId: string;
  readonly opts: ResolvedChainOptions;
  readonly deps: ChainDeps;
  readonly log: Logger;
  readonly clock: ChainClock;
  readonly random: () => number;
  readonly hasher: Hasher;
  readonly metrics: ChainMetrics;
  readonly lifecycle: ChainLifecycle;
  readonly txs: TxTracker;
  readonly closing = new AbortController();
  // Set once started (start() builds them over the storage it bootstrapped).
  node: RawNode | undefined;
  loop: ReadyLoop | undefined;
  applier: BlockApplier | undefined;
  /** Config transactions and membership; undefined when block 0 holds no readable config (updates refused). */
  config: ConfigControl | undefined;
  /** Lost-log guard, eviction suspicion, shutdown handoff. */
  liveness: Liveness | undefined;
  /** Term of the last entry applied (for the shutdown handoff). */
  appliedTerm = 0;

  constructor(options: ChainOptions, deps: ChainDeps) {
    this.opts = resolveChainOptions(options);
    this.deps = deps;
    this.channelId = this.opts.channelId;
    this.log = deps.logger.child({ channel: this.channelId, node: this.opts.selfId });
    this.clock = deps.clock ?? systemClock;
    this.random = deps.random ?? osRandom;
    this.hasher = createCryptoProvider(this.opts.engine).hasher(this.opts.hashAlgorithm);
    this.metrics = new ChainMetrics(deps.metrics, this.channelId);
    this.lifecycle = new ChainLifecycle(this.channelId);
    const ledger = deps.storage.ledger;
    this.txs = new TxTracker({
      recentMax: this.opts.recentTxIdsMax,
      waitersMax: this.opts.submitQueueMax * 4,
      ledgerLookup: (txId, hash) => ledger.txLocation(txId, hash)?.blockNumber,
      // The ledger answers for its durable blocks when its index reaches at least as far back as the window.
      ...(ledger.txIdsCovered >= this.opts.recentTxIdsMax && { ledgerHeight: () => ledger.height }),
    });
  }

  /** The Raft node; only once started. */
  raft(): RawNode {
    return this.node!;
  }

  /** The consenter ids of the committed config (the options' before any config update). */
  consenterIds(): readonly number[] {
    return this.config?.state.ids.consenterIds ?? this.opts.consenters;
  }

  unavailableReason(): string | undefined {
    return this.config?.notServingReason ?? this.lifecycle.unavailableReason();
  }
}
