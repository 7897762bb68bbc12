// Support of the eviction e2e tests (real `orderer start` processes): a
// node's /healthz and the participation API's view of a channel. Channel
// updates are in configUpdateSupport.ts, logs and one Broadcast in
// nodeSupport.ts.

import { setTimeout as sleep } from 'node:timers/promises';
import { operationsUrl, type Setup } from './channelSupport.js';
import { POLL_MS } from './nodeSupport.js';

/** Polls node `id`'s /healthz until it answers 200 (every channel it serves knows a Raft leader). */
export async function waitHealthz(setup: Setup, id: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const status = await fetch(`${operationsUrl(setup, id)}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status,
      (err: unknown) => (err instanceof Error ? 0 : Promise.reject(err)),
    );
    if (status === 200) return;
    if (performance.now() > deadline) throw new Error(`node ${id}'s /healthz did not answer 200 within ${timeoutMs} ms (last: ${status})`);
    await sleep(POLL_MS);
  }
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
