// A signing worker thread (piscina task): signs a batch of envelopes. The
// result is structured-cloned back (a memcpy of the batch, small next to the
// signing).

import fs from 'node:fs';
import { SIGNING_THREAD_NAME } from './procStat.js';
import { EnvelopeSigner, type SignedBatch, type SignerSpec } from './signing.js';

// Named, so the harness can tell its signing CPU from the rest (procStat.ts); where /proc is absent, unnamed.
try {
  fs.writeFileSync('/proc/thread-self/comm', SIGNING_THREAD_NAME);
} catch {
  // No procfs: the signing CPU is then counted with the other threads.
}

const signers = new Map<string, EnvelopeSigner>();

export default function signTask(task: { spec: SignerSpec; count: number }): SignedBatch {
  const key = JSON.stringify(task.spec);
  let signer = signers.get(key);
  if (signer === undefined) {
    signer = new EnvelopeSigner(task.spec);
    signers.set(key, signer);
  }
  return signer.sign(task.count);
}
