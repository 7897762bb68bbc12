// Support of the eviction e2e tests (real `orderer start` processes): the
// participation API's view of a channel. Channel updates are in
// configUpdateSupport.ts; health, logs and one Broadcast in nodeSupport.ts.

import { operationsUrl, type Setup } from './channelSupport.js';

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
