// Any number of distinct signed envelopes (each with its own tx id), made in
// pools of at most ENVELOPE_POOL_MAX: a benchmark that sends every envelope
// once needs more than one pool holds.

import type { EnvelopeCreator } from '../../src/block/index.js';
import { createEnvelopePool, ENVELOPE_POOL_MAX, type SignedEnvelope } from '../../src/client/index.js';

export function signedEnvelopes(channelId: string, creator: EnvelopeCreator, count: number): SignedEnvelope[] {
  const envelopes: SignedEnvelope[] = [];
  while (envelopes.length < count) {
    const chunk = Math.min(ENVELOPE_POOL_MAX, count - envelopes.length);
    for (const envelope of createEnvelopePool({ channelId, creator, count: chunk })) envelopes.push(envelope);
  }
  return envelopes;
}
