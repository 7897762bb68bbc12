// Support of the membership e2e tests (real `orderer start` processes): block
// files (genesis of a channel file, a served block), metric polling, a
// background load that keeps running while the consenter set changes, and a
// Hello probe of a cluster listener. Channel updates are in
// configUpdateSupport.ts, logs and one Broadcast in nodeSupport.ts.

import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeBlock, type Block } from '../../src/block/index.js';
import { connectAtomicBroadcast } from '../../src/client/abClient.js';
import { createEnvelopePool, loadClientCreator, type SignedEnvelope } from '../../src/client/envelopePool.js';
import { genesisBlockOfChannel } from '../../src/node/genesis.js';
import { TLS_CA_FILES } from '../../src/cli/dev/keygen.js';
import { clientMsp, address, clientTls, nodePaths, readManifest } from '../../src/cli/dev/layout.js';
import { runLoad } from '../../src/client/load.js';
import { loadChannelConfig } from '../../src/config/index.js';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { dialStep } from '../../src/cluster/dial.js';
import { CLUSTER_PROTOCOL_VERSION, decodeFrames, encodeFrame, FrameKind } from '../../src/cluster/frames.js';
import { validateClusterOptions } from '../../src/cluster/options.js';
import { operationsUrl, type Setup } from './channelSupport.js';
import { metricOf, waitUntil } from './nodeSupport.js';

/** Block 0 of a channel file, written next to it; returns the block file. */
export function writeGenesis(setup: Setup, channelFile: string, name: string): string {
  const file = path.join(setup.dir, `${name}.block`);
  fs.writeFileSync(file, genesisBlockOfChannel(loadChannelConfig(channelFile)));
  return file;
}

/** Writes `block` to `<dir>/<name>.block`; returns the file. */
export function writeBlock(setup: Setup, block: Block, name: string): string {
  const file = path.join(setup.dir, `${name}.block`);
  fs.writeFileSync(file, encodeBlock(block));
  return file;
}

/** Polls until every node of `ids` reports `metric{channel}` = `expected`. */
export async function waitMetric(setup: Setup, ids: readonly number[], metric: string, channelId: string, expected: number, timeoutMs: number): Promise<void> {
  let values: Array<number | undefined> = [];
  await waitUntil(
    () => `${metric}{channel="${channelId}"} = ${expected} on nodes ${ids.join(', ')} (last: ${values.join(', ')})`,
    timeoutMs,
    async () => {
      values = await Promise.all(ids.map((id) => metricOf(setup, id, metric, channelId)));
      return values.every((v) => v === expected);
    },
  );
}

/** Sum of a labelled counter's samples in node `id`'s /metrics whose labels include every `labels` entry. */
export async function counterSum(setup: Setup, id: number, metric: string, labels: readonly string[]): Promise<number> {
  const text = await (await fetch(`${operationsUrl(setup, id)}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const close = line.indexOf('}');
    const present = line.slice(metric.length + 1, close).split(',');
    if (labels.every((l) => present.includes(l))) sum += Number(line.slice(close + 1).trim());
  }
  return sum;
}

export interface BackgroundLoad {
  /** Envelopes acknowledged so far (SUCCESS), in answer order. */
  readonly acknowledged: readonly SignedEnvelope[];
  /** Resolves once `more` envelopes beyond the ones acknowledged now are acknowledged. */
  waitMore(more: number, timeoutMs: number): Promise<void>;
  /** Stops sending, waits for outstanding answers; resolves with every acknowledged envelope. */
  stop(): Promise<SignedEnvelope[]>;
}

/** Envelopes signed per round of the background load (signing happens before each round). */
const LOAD_ROUND_ENVELOPES = 400;

/**
 * Broadcasts to node `id` at most `txPerSec` envelopes a second, in rounds of
 * fresh envelopes, until stopped; SERVICE_UNAVAILABLE answers (leader change,
 * config block in flight) pause a stream briefly and count as not acknowledged.
 */
export function startBackgroundLoad(setup: Setup, id: number, channelId: string, txPerSec: number): BackgroundLoad {
  const manifest = readManifest(setup.dir);
  const creator = loadClientCreator(clientMsp(setup.dir, manifest));
  const client = connectAtomicBroadcast(address(setup.cluster.node(id), 'client'), clientTls(setup.dir, manifest));
  const abort = new AbortController();
  const acknowledged: SignedEnvelope[] = [];
  const running = (async () => {
    while (!abort.signal.aborted) {
      const envelopes = createEnvelopePool({ channelId, creator, count: LOAD_ROUND_ENVELOPES });
      await runLoad({
        client,
        envelopes,
        streams: 2,
        windowPerStream: 8,
        durationMs: 120_000,
        once: true,
        maxTxPerSec: txPerSec,
        unavailableBackoffMs: 100,
        signal: abort.signal,
        onAcknowledged: (e) => acknowledged.push(e),
      });
      // A round that ended at once (stream refused) must not become a busy loop of signing.
      await sleep(50);
    }
  })();
  return {
    acknowledged,
    async waitMore(more, timeoutMs) {
      const target = acknowledged.length + more;
      await waitUntil(
        () => `${target} acknowledgements of the background load to node ${id} (got ${acknowledged.length})`,
        timeoutMs,
        () => acknowledged.length >= target,
      );
    },
    async stop() {
      abort.abort();
      try {
        await running;
      } finally {
        client.close();
      }
      return [...acknowledged];
    },
  };
}

/** Bound on one Hello probe (TLS handshake to Welcome or refusal). */
const PROBE_TIMEOUT_MS = 10_000;

/**
 * Dials node `target`'s cluster listener presenting `tls` (certificate and
 * key PEM) and says Hello as consenter `claimId`: resolves "welcome", or the
 * refusal as "<grpc status>: <details>" (the listener's pinning check, see
 * src/cluster/PROTOCOL.md). A welcomed probe supersedes the real node's
 * stream for a moment (it dials again).
 */
export async function helloProbe(setup: Setup, target: number, claimId: number, tls: { certPem: string; keyPem: string }): Promise<string> {
  const read = (relative: string): string => fs.readFileSync(path.join(setup.dir, relative), 'utf8');
  const settings = validateClusterOptions({
    selfId: claimId,
    listenAddress: '127.0.0.1:0',
    tls: { ...tls, caPems: [read(TLS_CA_FILES.cert)] },
    peers: [{ id: target, address: address(setup.cluster.node(target), 'cluster'), tlsCertPem: read(nodePaths(target).tlsCert) }],
    logger: pino({ level: 'silent' }),
  });
  return new Promise((resolve) => {
    let done = false;
    const finish = (outcome: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      call.close();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish(`no answer within ${PROBE_TIMEOUT_MS} ms`), PROBE_TIMEOUT_MS);
    const { call } = dialStep(settings.peers.get(target)!, settings, {
      message: (bytes) => {
        if (decodeFrames(bytes)[0]?.kind === FrameKind.Welcome) finish('welcome');
      },
      ended: (code, details) => finish(`${grpc.status[code] ?? code}: ${details}`),
    });
    call.write([encodeFrame({ kind: FrameKind.Hello, protocolVersion: CLUSTER_PROTOCOL_VERSION, from: claimId, to: target })]);
  });
}
