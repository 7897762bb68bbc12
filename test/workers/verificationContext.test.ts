// The code every worker runs for verifyBatch, in this thread: a context
// validates each creator once (its LRU), then costs one signature check per
// envelope; its CA certificates are checked when it is built.

import { describe, expect, it } from 'vitest';
import { MspConfigError } from '../../src/crypto/errors.js';
import { VerificationContext } from '../../src/workers/index.js';
import { CHANNEL, signedEnvelope, testChannel } from './fixtures.js';

const channel = testChannel('ecdsa-p256');
const spec = {
  kind: 'verification',
  channelId: CHANNEL,
  engine: 'native',
  signatureAlgorithm: 'ecdsa-p256',
  organizations: channel.organizations,
  identityCacheEntriesMax: 2,
} as const;

describe('VerificationContext', () => {
  it('validates each creator once, then serves it from its LRU', () => {
    const context = new VerificationContext(spec);
    const members = [channel.org1.issueMember('A'), channel.org2.issueMember('B')];
    const envelopes = Array.from({ length: 10 }, (_, i) => signedEnvelope(members[i % 2]!, `tx-${i}`));
    const verdicts = context.verifyAll(envelopes, new Date());
    expect(verdicts.every((v) => v.ok)).toBe(true);
    expect(context.identityCacheStats).toEqual({ hits: 8, misses: 2, size: 2 });
  });

  it('keeps at most identityCacheEntriesMax creators', () => {
    const context = new VerificationContext(spec);
    const members = ['C', 'D', 'E'].map((cn) => channel.org1.issueMember(cn));
    context.verifyAll(
      members.map((m, i) => signedEnvelope(m, `tx-${i}`)),
      new Date(),
    );
    expect(context.identityCacheStats).toEqual({ hits: 0, misses: 3, size: 2 });
  });

  it('refuses an organization without a root certificate when built', () => {
    expect(() => new VerificationContext({ ...spec, organizations: [{ mspId: 'Org1MSP', rootCerts: [], intermediateCerts: [] }] })).toThrow(MspConfigError);
  });
});
