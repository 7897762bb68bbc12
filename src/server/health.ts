// Health checks behind /healthz, in the shape of Fabric's operations
// healthz handler: named components, each a check that throws (or rejects)
// with the reason it is unhealthy. Checks run concurrently, each bounded.

import assert from 'node:assert/strict';
import type { ChannelRegistry } from '../chain/index.js';

/** Throws or rejects with an Error whose message is the reason the component is unhealthy. */
export type HealthCheck = () => void | Promise<void>;

export interface FailedCheck {
  readonly component: string;
  readonly reason: string;
}

export const HEALTH_COMPONENTS_MAX = 1024;

export class HealthChecks {
  /** Invariant: size <= HEALTH_COMPONENTS_MAX. */
  readonly #checks = new Map<string, HealthCheck>();
  /** Channels checked for a known Raft leader, listed afresh at every run. */
  #channels: ChannelRegistry | undefined;

  /** Adds or replaces the check of `component`. */
  register(component: string, check: HealthCheck): void {
    // Components are fixed by the node's assembly code, never by input: too many is a bug.
    assert(this.#checks.has(component) || this.#checks.size < HEALTH_COMPONENTS_MAX, `at most ${HEALTH_COMPONENTS_MAX} health components may be registered`);
    this.#checks.set(component, check);
  }

  unregister(component: string): void {
    this.#checks.delete(component);
  }

  /** Checks every channel of `channels` (component "channel/<id>"): unhealthy while it knows no Raft leader. */
  watchChannels(channels: ChannelRegistry): void {
    this.#channels = channels;
  }

  /** Runs every check; a check still running after `timeoutMs` fails with a timeout reason. */
  async run(timeoutMs: number): Promise<FailedCheck[]> {
    const entries = [...this.#checks, ...this.#channelChecks()];
    const results = await Promise.all(entries.map(([component, check]) => runOne(component, check, timeoutMs)));
    return results.filter((failed): failed is FailedCheck => failed !== undefined);
  }

  #channelChecks(): [string, HealthCheck][] {
    const channels = this.#channels?.list() ?? [];
    return channels.map((channel) => [
      `channel/${channel.channelId}`,
      () => {
        if (channel.status().leaderId === 0) throw new Error(`channel ${channel.channelId} has no Raft leader`);
      },
    ]);
  }
}

async function runOne(component: string, check: HealthCheck, timeoutMs: number): Promise<FailedCheck | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<FailedCheck>((resolve) => {
    timer = setTimeout(() => resolve({ component, reason: `health check did not finish within ${timeoutMs} ms` }), timeoutMs);
  });
  const outcome = (async (): Promise<FailedCheck | undefined> => {
    try {
      await check();
      return undefined;
    } catch (error) {
      return { component, reason: error instanceof Error ? error.message : String(error) };
    }
  })();
  try {
    return await Promise.race([outcome, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
