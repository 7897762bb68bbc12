// One line naming the machine a benchmark ran on, printed with every figure.

import os from 'node:os';

export function describeMachine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  return `${model}, ${cpus.length} cores, load average ${os.loadavg()[0]?.toFixed(2)}, Node ${process.version}`;
}
