// A signing worker thread (piscina task): signs a batch of envelopes. The
// result is structured-cloned back (a memcpy of the batch, small next to the
// signing).

import { EnvelopeSigner, type SignedBatch, type SignerSpec } from './signing.js';

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
