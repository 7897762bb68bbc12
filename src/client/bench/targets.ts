// What the harness points at: a BenchTarget. Here, running AtomicBroadcast
// endpoints — this orderer's or a Fabric orderer's — given only what a Fabric
// client has: the endpoints, the TLS CA, the channel and an MSP directory to
// sign with. The local cluster target lives with the dev tooling
// (src/cli/dev/benchLocalTarget.ts), which starts the node processes.

import fs from 'node:fs';
import { h2SessionSource, type H2SessionSource } from './h2Session.js';
import { BenchConfigError, BenchTargetError } from './errors.js';
import { loadCreator, type SignerSpec } from './signing.js';
import type { EnvelopeCreator } from '../../block/index.js';
import type { ProcessCluster } from './faults.js';

/** Which nodes receive the Broadcast load. */
export type TargetRole = 'leader' | 'followers' | 'all';

export interface Endpoint {
  readonly label: string;
  /** The HTTP/2 connection the Broadcast lanes and the Deliver stream use (h2Session.ts). */
  readonly session: H2SessionSource;
  /** Local clusters: the node id. */
  readonly nodeId?: number;
}

export interface ObservedNode {
  readonly id: number;
  readonly label: string;
  /** host:port of /metrics, when known. */
  readonly operations: string | undefined;
  /** The process id, for a local node that is running. */
  pid(): number | undefined;
}

export interface BenchTarget {
  readonly kind: 'local' | 'external';
  readonly description: string;
  /** The first of `channelIds` (the one faults' "leader" and the per-second leader/height refer to). */
  readonly channelId: string;
  /** Every channel the run loads, each with its own Broadcast streams, envelopes and Deliver stream. */
  readonly channelIds: readonly string[];
  /** The signer of the first channel; other channels' differ only in channelId. */
  readonly signer: SignerSpec;
  readonly creator: EnvelopeCreator;
  readonly nodes: readonly ObservedNode[];
  /** The endpoints the load of `channelId` goes to now (the leader may have changed; each channel has its own). */
  sendEndpoints(role: TargetRole, channelId: string): Promise<Endpoint[]>;
  /** Endpoints to follow blocks from, preferred first. */
  deliverEndpoints(): Endpoint[];
  /** The local cluster's processes, for faults; undefined for external targets. */
  readonly cluster: ProcessCluster | undefined;
  close(): Promise<void>;
}

const CONNECT_TIMEOUT_MS = 5000;

/** Resolves when the connection of `source` is up; BenchTargetError naming it otherwise. */
export async function checkReachable(source: H2SessionSource): Promise<void> {
  const session = source.session();
  if (!session.connecting) return;
  await new Promise<void>((resolve, reject) => {
    const done = (error?: Error): void => {
      clearTimeout(timer);
      session.off('connect', onConnect);
      session.off('error', onError);
      if (error === undefined) resolve();
      else reject(new BenchTargetError(`endpoint ${source.label} is unreachable: ${error.message}`, { cause: error }));
    };
    const onConnect = (): void => done();
    const onError = (error: Error): void => done(error);
    const timer = setTimeout(() => done(new Error(`no connection within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
    session.once('connect', onConnect);
    session.once('error', onError);
  });
}

export interface ExternalTargetOptions {
  readonly endpoints: readonly string[];
  /** PEM file of the TLS CA; plaintext when absent. */
  readonly tlsCaFile?: string;
  readonly serverNameOverride?: string;
  /** One channel, or several (each loaded in the same run). */
  readonly channelId: string | readonly string[];
  readonly mspDir: string;
  readonly mspId: string;
  readonly envelopeBytes: number;
  /** host:port of each endpoint's operations listener (same order), for /metrics. */
  readonly operations?: readonly string[];
}

export async function externalTarget(options: ExternalTargetOptions): Promise<BenchTarget> {
  if (options.endpoints.length === 0) throw new BenchConfigError('at least one endpoint is needed');
  const channelIds = typeof options.channelId === 'string' ? [options.channelId] : [...options.channelId];
  if (channelIds.length === 0 || channelIds.some((c) => c.length === 0)) throw new BenchConfigError('at least one channel name is needed, none empty');
  const duplicate = channelIds.find((c, i) => channelIds.indexOf(c) !== i);
  if (duplicate !== undefined) throw new BenchConfigError(`channel ${duplicate} is given twice`);
  if (!fs.existsSync(options.mspDir)) throw new BenchConfigError(`MSP directory ${options.mspDir} does not exist`);
  const creator = loadCreator(options.mspDir, options.mspId);
  let tlsCaPem: string | undefined;
  if (options.tlsCaFile !== undefined) {
    try {
      tlsCaPem = fs.readFileSync(options.tlsCaFile, 'utf8');
    } catch (error) {
      throw new BenchConfigError(`TLS CA file ${options.tlsCaFile}: ${(error as Error).message}`, { cause: error });
    }
  }
  const endpoints: Endpoint[] = options.endpoints.map((label) => ({
    label,
    session: h2SessionSource(label, tlsCaPem, options.serverNameOverride),
  }));
  try {
    await Promise.all(endpoints.map((e) => checkReachable(e.session)));
  } catch (error) {
    for (const e of endpoints) {
      e.session.close();
    }
    throw error;
  }
  const nodes: ObservedNode[] = endpoints.map((e, i) => ({ id: i + 1, label: e.label, operations: options.operations?.[i], pid: () => undefined }));
  return {
    kind: 'external',
    description: `external endpoints ${options.endpoints.join(', ')}`,
    channelId: channelIds[0]!,
    channelIds,
    signer: { mspDir: options.mspDir, mspId: options.mspId, channelId: channelIds[0]!, envelopeBytes: options.envelopeBytes },
    creator,
    nodes,
    cluster: undefined,
    // Leadership of an external orderer is unknown here: the load goes to every endpoint given.
    sendEndpoints: async () => endpoints,
    deliverEndpoints: () => endpoints,
    close: async () => {
      for (const e of endpoints) {
        e.session.close();
      }
    },
  };
}
