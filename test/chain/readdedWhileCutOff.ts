// A three-node ConfigCluster whose follower `gone` was cut off, removed by a
// config update and added back by another (same certificate; Fabric numbers
// it anew: 4) while it heard nothing: real config blocks for the tests of
// re-onboarding, and the verdict eviction suspicion reaches on them.

import { pino } from 'pino';
import { expect } from 'vitest';
import { decodeBlock } from '../../src/block/index.js';
import { EvictionSuspector, type ReaddedVerdict } from '../../src/chain/liveness/evictionSuspicion.js';
import { ConfigCluster } from './configCluster.js';

export interface ReaddedWhileCutOff {
  readonly cc: ConfigCluster;
  /** The node removed and added back while cut off. */
  readonly gone: number;
  /** A node that stayed. */
  readonly stayed: number;
  /** Number of the config block that removed `gone`. */
  readonly removal: number;
}

export async function readdedWhileCutOff(): Promise<ReaddedWhileCutOff> {
  const cc = new ConfigCluster(3);
  await cc.start([1, 2, 3]);
  await cc.waitForLeader();
  const gone = [1, 2, 3].find((id) => id !== cc.leaderId())!;
  const stayed = [1, 2, 3].find((id) => id !== gone)!;
  cc.network.isolate(gone);
  const goneConsenter = cc.genesisValues.consenters[gone - 1]!;
  await reconfigure(cc, stayed, (v) => ({ ...v, consenters: v.consenters.filter((_, i) => i !== gone - 1) }));
  const removal = cc.chain(stayed).height() - 1;
  await reconfigure(cc, stayed, (v) => ({ ...v, consenters: [...v.consenters, goneConsenter] }));
  return { cc, gone, stayed, removal };
}

/** The cluster TLS certificate of consenter `id` of the genesis block. */
export function certOf(cc: ConfigCluster, id: number): string {
  return cc.genesisValues.consenters[id - 1]!.clientTlsCertPem;
}

/** What eviction suspicion on `gone` finds from the blocks of `stayed`: re-added, under its new id. */
export async function readdedVerdict({ cc, gone, stayed }: ReaddedWhileCutOff): Promise<ReaddedVerdict> {
  const chain = cc.chain(stayed);
  const suspector = new EvictionSuspector({
    selfId: gone,
    selfTlsCertPem: certOf(cc, gone),
    evictionSuspicionMs: 1000,
    source: { newestBlock: async () => decodeBlock(chain.block(chain.height() - 1)), blockAt: async (n: number) => decodeBlock(chain.block(n)) },
    logger: pino({ level: 'silent' }),
    onEvicted: () => expect.fail('re-added, not evicted'),
    onReadded: () => undefined,
  });
  const found = await suspector.check();
  if (found.kind !== 'readded') throw new Error(`expected a re-added verdict, got ${found.kind}`);
  return found;
}

/** A config update through the leader, awaited until `stayed` holds it. */
async function reconfigure(cc: ConfigCluster, stayed: number, change: Parameters<ConfigCluster['configUpdate']>[1]): Promise<void> {
  const leader = cc.leaderId();
  const sequence = cc.currentConfig(leader).values.sequence + 1;
  const result = await cc.chain(leader).submit(cc.configUpdate(leader, change));
  expect(result.status, result.info).toBe('SUCCESS');
  await cc.tickUntil(() => cc.currentConfig(stayed).values.sequence === sequence, 80, 'the config update committed');
}
