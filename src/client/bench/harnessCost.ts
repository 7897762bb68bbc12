// What the harness itself cost over a run, per envelope acknowledged: every
// thread of its process but the signing workers (what sending, acknowledging
// and following commits cost), the main thread alone, and signing on the fly
// apart (procStat.ts tells the threads apart).

export interface HarnessCost {
  /** Main-thread CPU (HTTP/2, TLS, sending, counting, following blocks) from the first send to the end of the drain. */
  readonly mainThreadCpuUs: number;
  /** The signing workers over the same time: envelopes signed on the fly (0 when every one was signed ahead). */
  readonly signingCpuUs: number;
  /** Whole process over the same time, signing workers included. */
  readonly processCpuUs: number;
  readonly acknowledged: number;
  readonly mainThreadUsPerEnvelope: number | null;
  /** Every thread of the process but the signing workers (main, GC, libuv): what sending, acknowledging and following commits cost. */
  readonly harnessUsPerEnvelope: number | null;
  /** Signing on the fly, per envelope acknowledged (0 when all were signed ahead). */
  readonly signingUsPerEnvelope: number | null;
  readonly processUsPerEnvelope: number | null;
}

export function harnessCost(mainUs: number, signingUs: number, processUs: number, acknowledged: number): HarnessCost {
  const per = (us: number): number | null => (acknowledged > 0 ? us / acknowledged : null);
  return {
    mainThreadCpuUs: mainUs,
    signingCpuUs: signingUs,
    processCpuUs: processUs,
    acknowledged,
    mainThreadUsPerEnvelope: per(mainUs),
    harnessUsPerEnvelope: per(processUs - signingUs),
    signingUsPerEnvelope: per(signingUs),
    processUsPerEnvelope: per(processUs),
  };
}
