// Channel configuration in the e2e tests (real `orderer start` processes):
// raft options written into the keygen channel file before the first start
// (block 0 is made from it), channel files with a chosen consenter set,
// `orderer channel update` signed by the admins the orderer's policies need,
// and the config block of a sequence as a node serves it.

import fs from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { currentConfigOf, HeaderType, readEnvelopeFields, type Block } from '../../src/block/index.js';
import { ADMIN_MSP_DIRS } from '../../src/cli/dev/keygen.js';
import { address, readManifest } from '../../src/cli/dev/layout.js';
import { orderer, servedBlocks, setUp, type Setup } from './channelSupport.js';
import { waitUntil } from './nodeSupport.js';

/** Raft options of a channel file (YAML form: sizes like '64 KB', durations like '3s'). */
export interface RaftOverrides {
  readonly heartbeatTick?: number;
  readonly electionTick?: number;
  readonly snapshotIntervalSize?: string;
  readonly maxInflightBlocks?: number;
  readonly evictionSuspicion?: string;
  readonly leaderLossDetection?: boolean;
}

/** Merges `raft` into the channel file's raft section (before any node started: block 0 is made from it). */
export function setRaftOptions(channelFile: string, raft: RaftOverrides): void {
  const config = parse(fs.readFileSync(channelFile, 'utf8')) as { raft?: Record<string, unknown> };
  config.raft = { ...config.raft, ...raft };
  fs.writeFileSync(channelFile, stringify(config));
}

/** A keygen'd cluster whose channel `channelId` has the raft options `raft`, every node started and healthy. */
export async function setUpWithRaft(channelId: string, disposers: Array<() => Promise<void>>, raft: RaftOverrides): Promise<Setup> {
  const setup = await setUp(channelId, disposers, { startNodes: [] });
  setRaftOptions(setup.channelFile, raft);
  setup.cluster.startAll();
  await setup.cluster.waitHealthy(60_000);
  return setup;
}

/**
 * `channels/<name>.yaml`: the keygen channel file with only the consenters
 * `ids` (file order kept; a consenter's TLS certificate stays a path to the
 * node's tls/server.crt, so a reissued certificate is picked up).
 */
export function channelFileWith(setup: Setup, name: string, ids: readonly number[]): string {
  const config = parse(fs.readFileSync(setup.channelFile, 'utf8')) as { consenters: { id: number }[] };
  config.consenters = config.consenters.filter((c) => ids.includes(c.id));
  const file = path.join(path.dirname(setup.channelFile), `${name}.yaml`);
  fs.writeFileSync(file, stringify(config));
  return file;
}

/** The admins keygen writes, as `orderer channel update` takes them. */
export const ADMINS = {
  orderer: { dir: ADMIN_MSP_DIRS.orderer, mspId: 'OrdererMSP' },
  org1: { dir: ADMIN_MSP_DIRS.client, mspId: 'Org1MSP' },
} as const;

/**
 * `orderer channel update` of the channel to `channelFile`, sent to node
 * `via`, signed by `admins`. Default: both keygen organizations' admins — a
 * channel file puts every organization in the Orderer group, so
 * /Channel/Orderer/Admins (MAJORITY) needs both.
 */
export function updateChannel(
  setup: Setup,
  via: number,
  channelFile: string,
  admins: readonly { dir: string; mspId: string }[] = [ADMINS.orderer, ADMINS.org1],
): ReturnType<typeof orderer> {
  const manifest = readManifest(setup.dir);
  return orderer([
    'channel',
    'update',
    '--channel-config',
    channelFile,
    '--orderer',
    address(setup.cluster.node(via), 'client'),
    '--tls-ca',
    path.join(setup.dir, manifest.tlsCaFile),
    '--server-name',
    'localhost',
    ...admins.flatMap((a) => ['--msp-dir', path.join(setup.dir, a.dir), '--msp-id', a.mspId]),
  ]);
}

/** The config block of config `sequence`, once node `id` serves it. */
export async function configBlockOf(setup: Setup, id: number, channelId: string, sequence: number, timeoutMs: number): Promise<Block> {
  let found: Block | undefined;
  await waitUntil(`node ${id} to serve the config block of sequence ${sequence} of ${channelId}`, timeoutMs, async () => {
    const blocks = await servedBlocks(setup, id, channelId);
    found = blocks.find((b) => readEnvelopeFields(b.data[0]!).headerType === HeaderType.CONFIG && currentConfigOf(b).config.sequence === sequence);
    return found !== undefined;
  });
  return found!;
}
