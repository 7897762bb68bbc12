// One orderer node assembled from already-validated, already-mapped options
// (configMapping.ts turns the config files into these): storage, worker pool,
// cluster transport, one Chain per channel (nodeChannels.ts: configured,
// joined earlier, joined at run time), the AtomicBroadcast server and the
// operations server (with the channel participation API). Started inner to outer; stopped outer to inner, so no
// client is served by a half-closed chain and storage is flushed last.

import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import path from 'node:path';
import { Chain, PoolCompute, type ChannelRegistry } from '../chain/index.js';
import { createChannelPuller } from '../catchup/index.js';
import { GrpcClusterTransport, type ClusterTlsOptions } from '../cluster/index.js';
import type { Engine, KeyPairSigner } from '../crypto/index.js';
import { AtomicBroadcastServer, HealthChecks, OperationsServer, type ServerTlsInput } from '../server/index.js';
import { openWalEnvironment, type WalEnvironment } from '../storage/index.js';
import type { ChannelPlan } from './channelPlan.js';
import { WorkerPool, type WorkerPoolOptions } from '../workers/index.js';
import { NodeChannels } from './nodeChannels.js';
import { registerTxIdHorizonMetrics } from './txIdHorizonMetrics.js';

/** One channel this node serves: the chain's options and the consenters' cluster endpoints. */
export interface OrdererNodeOptions {
  readonly nodeId: number;
  readonly engine: Engine;
  readonly dataDir: string;
  /** Base logger; the node adds `node` to every line, chains add `channel`. */
  readonly logger: Logger;
  /** This orderer's signing identity (its local MSP): signs every block it writes. */
  readonly identity: { readonly signer: KeyPairSigner; readonly serializedIdentity: Uint8Array };
  readonly clientListenAddress: string;
  readonly clientTls: ServerTlsInput | undefined;
  /** Deliver requests timestamped further than this from our clock are refused (Fabric's Authentication.TimeWindow). */
  readonly deliverTimeWindowMs: number;
  /** When Broadcast answers SUCCESS by default ('accepted' when absent) and how long 'committed' waits. */
  readonly broadcastAck?: 'accepted' | 'committed';
  readonly broadcastAckTimeoutMs?: number;
  /** Each channel's newest committed tx ids recognized as duplicates (storage's default when absent). */
  readonly txIdHorizon?: number;
  readonly operationsListenAddress: string;
  /** HTTPS on the operations listener when set. */
  readonly operationsTls: ServerTlsInput | undefined;
  readonly clusterListenAddress: string;
  readonly clusterTls: ClusterTlsOptions;
  readonly pool: WorkerPoolOptions;
  /** The configured channels (may be none: channels are then joined over the participation API). */
  readonly channels: readonly ChannelPlan[];
}

/** Storage's slow-sync warning threshold when no channel is configured (Fabric's default election timeout). */
const ELECTION_TIMEOUT_MS_WITHOUT_CHANNELS = 5000;
/** Name of the removed-channels record in the data directory. */
export const REMOVED_CHANNELS_FILE = 'removed-channels.json';

/** Everything started so far, in start order; stop() closes it in reverse. */
interface Parts {
  storage?: WalEnvironment;
  pool?: WorkerPool;
  transport?: GrpcClusterTransport;
  chains?: NodeChannels;
  server?: AtomicBroadcastServer;
  operations?: OperationsServer;
}

export class OrdererNode {
  readonly metrics: Registry;
  readonly #log: Logger;
  readonly #parts: Parts;
  #stopping: Promise<void> | undefined;

  private constructor(log: Logger, metrics: Registry, parts: Parts) {
    this.#log = log;
    this.metrics = metrics;
    this.#parts = parts;
  }

  /** The channels this node serves (empty until started). */
  get channels(): ChannelRegistry {
    return this.#parts.chains ?? { get: () => undefined, list: () => [] };
  }

  /** Bound ports (the chosen ones where an address asked for port 0). */
  get ports(): { client: number; cluster: number; operations: number } {
    return { client: this.#parts.server!.port, cluster: this.#parts.transport!.port, operations: this.#parts.operations!.port };
  }

  /** Starts every part; if one fails, what was started is stopped again and the error rethrown. */
  static async start(options: OrdererNodeOptions): Promise<OrdererNode> {
    const log = options.logger.child({ node: options.nodeId });
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });
    const parts: Parts = {};
    const node = new OrdererNode(log, metrics, parts);
    try {
      await startParts(options, log, metrics, parts);
    } catch (error) {
      log.error({ err: error }, 'start-up failed; stopping what was started');
      await node.stop();
      throw error;
    }
    log.info({ ports: node.ports, channels: node.channels.list().map((c) => c.channelId) }, 'orderer node started');
    return node;
  }

  /** Stops outer to inner; storage last, after everything queued is durable. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stopAll();
    return this.#stopping;
  }

  async #stopAll(): Promise<void> {
    const parts = this.#parts;
    const steps: Array<[string, (() => Promise<void>) | undefined]> = [
      ['operations server', parts.operations && (() => parts.operations!.close())],
      // SIGTERM: leaderships move at once, so clients see no election timeout, while the client
      // listener takes no new streams and gives open ones their grace period (served as a follower
      // then, forwarding to the new leader). Handing over after that grace delayed the handoff by
      // up to the whole grace period, and a supervisor's kill timeout could cut it short.
      ['AtomicBroadcast server and leadership handoff', () => allSettledOrThrow([parts.server?.close(), parts.chains && handOverLeaderships(parts.chains)])],
      // With a transfer again: a node that came to lead during the grace period hands over too.
      ['chains', parts.chains && (() => closeChains(parts.chains!))],
      ['cluster transport', parts.transport && (() => parts.transport!.close())],
      ['worker pool', parts.pool && (() => parts.pool!.close())],
      ['storage', parts.storage && (() => parts.storage!.close())],
    ];
    for (const [name, step] of steps) {
      if (step === undefined) continue;
      try {
        await step();
      } catch (error) {
        // Keep going: a part that fails to close must not keep storage from being flushed.
        this.#log.error({ err: error }, `closing the ${name} failed`);
      }
    }
    this.#log.info('orderer node stopped');
  }
}

async function startParts(options: OrdererNodeOptions, log: Logger, metrics: Registry, parts: Parts): Promise<void> {
  const electionTimeoutMs = Math.min(
    ELECTION_TIMEOUT_MS_WITHOUT_CHANNELS,
    ...options.channels.map((plan) => (plan.chain.tickIntervalMs ?? 500) * (plan.chain.electionTick ?? 10)),
  );
  parts.storage = openWalEnvironment({
    dir: options.dataDir,
    engine: options.engine,
    logger: log.child({ component: 'storage' }),
    electionTimeoutMs,
    txIdHorizon: options.txIdHorizon,
  });
  // Opened before anything serves: a damaged record stops the node here.
  parts.storage.openStoredChannels();
  registerTxIdHorizonMetrics(metrics, parts.storage);
  parts.pool = new WorkerPool(options.pool);
  parts.transport = await GrpcClusterTransport.start({
    selfId: options.nodeId,
    listenAddress: options.clusterListenAddress,
    tls: options.clusterTls,
    // Each channel hands the transport its own consenters as it starts (ChannelPeerSets): Raft ids are per channel.
    peers: [],
    // The transport and the chains add `node` (and `channel`) to their lines themselves.
    logger: options.logger,
    metrics,
    engine: options.engine,
  });
  const compute = new PoolCompute(parts.pool, {
    engine: options.engine,
    algorithm: options.identity.signer.algorithm,
    privateKeyPem: options.identity.signer.exportPrivateKeyPem(),
    serializedIdentity: options.identity.serializedIdentity,
  });
  const channels = new NodeChannels({
    nodeId: options.nodeId,
    engine: options.engine,
    tlsCertPem: options.clusterTls.certPem,
    storage: parts.storage,
    transport: parts.transport,
    chainDeps: { compute, logger: options.logger, metrics },
    logger: log,
    metrics,
    removedChannelsFile: path.join(options.dataDir, REMOVED_CHANNELS_FILE),
    catchUpFor: (plan, storage) =>
      createChannelPuller({
        channelId: plan.chain.channelId,
        engine: options.engine,
        hashAlgorithm: plan.chain.hashAlgorithm,
        organizations: plan.chain.organizations,
        // The latest config block this node has (its endpoints are the current ones), else the plan's genesis block.
        configBlock: storage.ledger.height > 0 ? storage.ledger.block(Math.max(storage.ledger.lastConfig, 0)).bytes : plan.chain.genesisBlock,
        selfAddress: options.clientListenAddress,
        creator: options.identity,
        tls: options.clientTls === undefined ? undefined : { certPem: options.clusterTls.certPem, keyPem: options.clusterTls.keyPem },
        ledger: storage.ledger,
        logger: log,
        metrics,
      }),
  });
  parts.chains = channels;
  await channels.startAll(options.channels);
  parts.server = await AtomicBroadcastServer.start(
    {
      listenAddress: options.clientListenAddress,
      deliverTimeWindowMs: options.deliverTimeWindowMs,
      ...(options.broadcastAck !== undefined && { broadcastAck: options.broadcastAck }),
      ...(options.broadcastAckTimeoutMs !== undefined && { broadcastAckTimeoutMs: options.broadcastAckTimeoutMs }),
      ...(options.clientTls && { tls: options.clientTls }),
    },
    { channels, logger: log, metricsRegistry: metrics },
  );
  const health = new HealthChecks();
  health.watchChannels(channels);
  parts.operations = await OperationsServer.start(
    { listenAddress: options.operationsListenAddress, ...(options.operationsTls && { tls: options.operationsTls }) },
    { metricsRegistry: metrics, health, logger: log, participation: channels.participation, channels },
  );
}

/** Every chain this node leads hands leadership over (each bounded by 2 election timeouts); the chains keep running. */
async function handOverLeaderships(channels: ChannelRegistry): Promise<void> {
  await Promise.all(channels.list().map((channel) => (channel instanceof Chain ? channel.handOverLeadership() : undefined)));
}

/** Closes every chain, with a leadership transfer first where it leads; then the rest of the registry (pullers). */
async function closeChains(channels: NodeChannels): Promise<void> {
  await Promise.all(channels.list().map((channel) => (channel instanceof Chain ? channel.close({ transferLeadership: true }) : undefined)));
  await channels.closeAll();
}

/** Waits for every task to end; then throws if any failed (all failures together). */
async function allSettledOrThrow(tasks: ReadonlyArray<Promise<void> | undefined>): Promise<void> {
  const failures = (await Promise.allSettled(tasks)).flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} parts failed to stop`);
}
