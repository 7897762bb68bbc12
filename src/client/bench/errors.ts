// Operating errors of the benchmark harness. `code` is stable; the message
// names the flag, file, field or endpoint at fault.

import { OrdererError } from '../../errors.js';

/** A bad benchmark description: schedule file, threshold, workload value. */
export class BenchConfigError extends OrdererError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BENCH_CONFIG', message, options);
  }
}

/** A target that cannot be used: endpoint unreachable, channel not served, cluster failed to start. */
export class BenchTargetError extends OrdererError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BENCH_TARGET', message, options);
  }
}
