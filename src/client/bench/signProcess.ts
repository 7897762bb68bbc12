// A signing process of the harness: signs batches of envelopes asked for over
// its IPC channel and sends each back whole. A process of its own rather than
// a worker thread: a worker's garbage collection and compilation run on the
// V8 platform threads it shares with the harness, so its signing would be
// counted as harness cost; a process keeps every thread of its own.

import { EnvelopeSigner, type SignedBatch, type SignerSpec } from './signing.js';

export interface SignRequest {
  readonly spec: SignerSpec;
  readonly count: number;
}

const signers = new Map<string, EnvelopeSigner>();

function sign(request: SignRequest): void {
  const key = JSON.stringify(request.spec);
  let answer: { batch: SignedBatch } | { error: string };
  try {
    let signer = signers.get(key);
    if (signer === undefined) {
      signer = new EnvelopeSigner(request.spec);
      signers.set(key, signer);
    }
    answer = { batch: signer.sign(request.count) };
  } catch (error) {
    answer = { error: (error as Error).message };
  }
  // The harness may have closed the channel while this batch was signed: then nobody waits for it.
  if (process.connected) process.send!(answer, undefined, undefined, () => undefined);
}

process.on('message', (request: SignRequest) => sign(request));
// Ctrl-C reaches the whole process group: the harness decides when signing ends (it writes its report first).
process.on('SIGINT', () => undefined);
// The harness closed the channel or ended: nothing more to sign.
process.on('disconnect', () => process.exit(0));
