// Fixtures for the pool tests: dev organizations with members that sign real
// Fabric-shaped envelopes (src/block's envelope builder), and the real Fabric
// ledger sample with its SampleOrg CA.

import { createSignedEnvelope, decodeEnvelope, encodeEnvelope, encodeSerializedIdentity, HeaderType, type EnvelopeCreator } from '../../src/block/index.js';
import { DevOrganization, type DevIdentity } from '../../src/crypto/devpki.js';
import type { OrganizationConfig } from '../../src/crypto/msp.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import type { SignatureAlgorithm } from '../../src/crypto/types.js';
import { fabricCert } from '../crypto/fabricCerts.js';

export const CHANNEL = 'ch1';

export interface TestChannel {
  readonly org1: DevOrganization;
  readonly org2: DevOrganization;
  /** org1 issues through an intermediate CA; org2 from its root. */
  readonly organizations: readonly OrganizationConfig[];
}

/** Two organizations of `algorithm` (keys made with the native engine: fast, and verified by either). */
export function testChannel(algorithm: SignatureAlgorithm): TestChannel {
  const provider = createCryptoProvider('native');
  const org1 = new DevOrganization({ mspId: 'Org1MSP', algorithm, provider, withIntermediate: true });
  const org2 = new DevOrganization({ mspId: 'Org2MSP', algorithm, provider });
  return { org1, org2, organizations: [org1.config, org2.config] };
}

export function creatorOf(member: DevIdentity): EnvelopeCreator {
  return { signer: member.signer, serializedIdentity: encodeSerializedIdentity({ mspid: member.mspId, idBytes: member.idBytes }) };
}

export function signedEnvelope(member: DevIdentity, txId: string, channelId = CHANNEL, type = HeaderType.ENDORSER_TRANSACTION): Uint8Array {
  return createSignedEnvelope({ type, channelId, txId, data: new TextEncoder().encode(`payload of ${txId}`), creator: creatorOf(member) });
}

/** `envelope` carrying the signature of `other`: well-formed, wrong signature. */
export function withSignatureOf(envelope: Uint8Array, other: Uint8Array): Uint8Array {
  return encodeEnvelope({ payload: decodeEnvelope(envelope).payload, signature: decodeEnvelope(other).signature });
}

export function flipLastByte(bytes: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[copy.length - 1]! ^= 0x01;
  return copy;
}

/** The real ledger's only organization (its peer0 signs every transaction). */
export function sampleOrgConfig(): OrganizationConfig {
  return { mspId: 'SampleOrg', rootCerts: [fabricCert('ca.org1.example.com').pem], intermediateCerts: [] };
}

/** Inside the validity of the ledger sample's certificates (2017-11-12 .. 2027-11-10). */
export const SAMPLE_VALID_AT_MS = Date.parse('2020-01-01T00:00:00Z');
export const SAMPLE_EXPIRED_AT_MS = Date.parse('2028-01-01T00:00:00Z');
