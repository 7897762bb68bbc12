// Support of the eviction e2e tests (real `orderer start` processes): a
// cluster whose channel suspects eviction after 3 s without a leader, the
// removal of a stopped consenter, the participation API's view of a channel.
// Channel updates are in configUpdateSupport.ts; health, logs and one
// Broadcast in nodeSupport.ts.

import { expect } from 'vitest';
import { readBlockSignatures } from '../../src/block/index.js';
import { blocksHolding, operationsUrl, waitLeaderOf, type Setup } from './channelSupport.js';
import { channelFileWith, configBlockOf, setUpWithRaft, updateChannel } from './configUpdateSupport.js';

const EVICTION_SUSPICION = '3s';

/**
 * A started 3-node cluster whose channel suspects eviction after `evictionSuspicion` (3 s) without a leader
 * (the first check after a start comes after one election timeout); resolves with its leader.
 */
export async function startEvictionCluster(
  channelId: string,
  disposers: Array<() => Promise<void>>,
  evictionSuspicion = EVICTION_SUSPICION,
): Promise<{ setup: Setup; leader: number }> {
  const setup = await setUpWithRaft(channelId, disposers, { evictionSuspicion });
  return { setup, leader: await waitLeaderOf(setup, channelId, 30_000) };
}

/** Stops follower `victim` once it holds every envelope acknowledged so far, and removes it with a config update on the others; resolves with the removing block's number. */
export async function removeWhileDown(
  setup: Setup,
  channelId: string,
  victim: number,
  rest: readonly number[],
  acknowledgedTxIds: readonly string[],
): Promise<number> {
  await blocksHolding(setup, victim, channelId, acknowledgedTxIds, 60_000);
  await setup.cluster.process(victim).stop(10_000);
  const update = await updateChannel(setup, rest[0]!, channelFileWith(setup, `${channelId}-without-${victim}`, rest));
  expect(update.code, update.stderr).toBe(0);
  const removal = await configBlockOf(setup, rest[0]!, channelId, 1, 30_000);
  expect(readBlockSignatures(removal).etcdraft?.consenterIds).toEqual([...rest]);
  return removal.header.number;
}

export interface ParticipationInfo {
  readonly name: string;
  readonly status: string;
  readonly consensusRelation: string;
  readonly height: number;
}

/** The participation API's view of `channelId` on node `id`. */
export async function participationOf(setup: Setup, id: number, channelId: string): Promise<ParticipationInfo> {
  const response = await fetch(`${operationsUrl(setup, id)}/participation/v1/channels/${channelId}`, { signal: AbortSignal.timeout(5000) });
  if (response.status !== 200) throw new Error(`GET channel ${channelId} on node ${id}: ${response.status} ${await response.text()}`);
  return (await response.json()) as ParticipationInfo;
}
