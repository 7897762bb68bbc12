// What the harness itself cost over a run, per envelope acknowledged: every
// thread of its process (what sending, acknowledging and following commits
// cost), told apart by thread (procStat.ts): the main thread, V8's platform
// threads (GC and compilation helpers) and the rest (libuv's pool, the module
// loader); signing on the fly, in processes of its own, apart.

import type { HarnessThreadsCpu } from './procStat.js';

export interface HarnessCost {
  /** Main-thread CPU (HTTP/2, TLS, sending, counting, following blocks) from the first send to the end of the drain. */
  readonly mainThreadCpuUs: number;
  /** The signing processes over the same time: envelopes signed on the fly (0 when every one was signed ahead). */
  readonly signingCpuUs: number;
  /** V8's platform threads over the same time: concurrent marking, parallel scavenges, sweeping, background compilation. */
  readonly platformCpuUs: number;
  /** The harness process over the same time (every thread; the signing processes are not in it). */
  readonly processCpuUs: number;
  readonly acknowledged: number;
  readonly mainThreadUsPerEnvelope: number | null;
  /** Every thread of the harness process (main, GC, libuv): what sending, acknowledging and following commits cost. */
  readonly harnessUsPerEnvelope: number | null;
  readonly platformUsPerEnvelope: number | null;
  /** The harness's threads but main and platform (libuv's pool, the module loader, threads that ended). */
  readonly otherThreadsUsPerEnvelope: number | null;
  /** Signing on the fly, per envelope acknowledged (0 when all were signed ahead). */
  readonly signingUsPerEnvelope: number | null;
  /** The harness and its signing processes together. */
  readonly withSigningUsPerEnvelope: number | null;
}

/** The cost between two readings of the harness's threads, per envelope acknowledged in between. */
export function harnessCost(before: HarnessThreadsCpu, after: HarnessThreadsCpu, acknowledged: number): HarnessCost {
  const per = (us: number): number | null => (acknowledged > 0 ? us / acknowledged : null);
  const mainUs = after.mainUs - before.mainUs;
  const signingUs = after.signingUs - before.signingUs;
  const platformUs = after.platformUs - before.platformUs;
  const processUs = after.processUs - before.processUs;
  return {
    mainThreadCpuUs: mainUs,
    signingCpuUs: signingUs,
    platformCpuUs: platformUs,
    processCpuUs: processUs,
    acknowledged,
    mainThreadUsPerEnvelope: per(mainUs),
    harnessUsPerEnvelope: per(processUs),
    platformUsPerEnvelope: per(platformUs),
    otherThreadsUsPerEnvelope: per(Math.max(0, processUs - mainUs - platformUs)),
    signingUsPerEnvelope: per(signingUs),
    withSigningUsPerEnvelope: per(processUs + signingUs),
  };
}

/**
 * The first seconds of a run, by default: V8 compiles the harness's hot code (on its platform threads) and
 * sizes its heap. A run has a steady-state figure if at least as long again follows them.
 */
export const WARM_UP_S = 10;

/** The harness's cost from the end of the warm-up (`fromS` seconds into the run) to the end of the drain. */
export interface SteadyHarnessCost extends HarnessCost {
  readonly fromS: number;
}
