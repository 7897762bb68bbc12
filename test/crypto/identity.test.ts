import { describe, expect, it } from 'vitest';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { IdentityError, MspConfigError } from '../../src/crypto/errors.js';
import { IdentityValidator } from '../../src/crypto/identity.js';
import { ALGORITHMS, ENGINES, provider, utf8 } from './engines.js';
import { fabricCert } from './fabricCerts.js';

const NOW = new Date('2030-06-01T00:00:00Z');
const CA_START = new Date('2030-01-01T00:00:00Z');

/** The IdentityError `fn` throws, so tests can assert its stable code and message. */
function identityErrorOf(fn: () => unknown): IdentityError {
  try {
    fn();
  } catch (error) {
    if (error instanceof IdentityError) return error;
    throw error;
  }
  throw new Error('expected an IdentityError, nothing was thrown');
}

describe.each(ENGINES)('identities, %s engine', (engine) => {
  describe.each(ALGORITHMS)('%s organizations', (algorithm) => {
    const p = provider('native-free'); // the PKI itself; the validator under test uses `engine`
    const org1 = new DevOrganization({ mspId: 'Org1MSP', algorithm, provider: p, notBefore: CA_START, withIntermediate: true });
    const org2 = new DevOrganization({ mspId: 'Org2MSP', algorithm, provider: p, notBefore: CA_START });
    const validator = new IdentityValidator({ engine, organizations: [org1.config, org2.config] });

    it('accepts a member of each organization and returns its key (via intermediate for Org1)', () => {
      for (const org of [org1, org2]) {
        const member = org.issueMember('User1');
        const identity = validator.validate(member, NOW);
        expect(identity.mspId).toBe(org.mspId);
        expect(identity.algorithm).toBe(algorithm);
        expect(Buffer.from(identity.publicKey)).toEqual(Buffer.from(member.signer.publicKey));
        expect(identity.subject).toBe(`CN=User1,O=${org.mspId.toLowerCase()}`);
        // The key is usable: a signature by the member verifies under it.
        const msg = utf8('payload');
        expect(provider(engine).verifier(identity.algorithm).verify(identity.publicKey, msg, member.signer.sign(msg))).toBe(true);
      }
    });

    it('accepts a member issued directly by the root even when an intermediate exists', () => {
      expect(validator.validate(org1.issueMember('Direct', {}, org1.root), NOW).mspId).toBe('Org1MSP');
    });

    it('refuses an unknown MSP id', () => {
      const error = identityErrorOf(() => validator.validate({ ...org1.issueMember('U'), mspId: 'Org9MSP' }, NOW));
      expect(error.code).toBe('IDENTITY_UNKNOWN_MSP');
      expect(error.message).toBe('unknown MSP id "Org9MSP"');
    });

    it("refuses a member presented under another organization's MSP id", () => {
      const error = identityErrorOf(() => validator.validate({ ...org2.issueMember('Spy'), mspId: 'Org1MSP' }, NOW));
      expect(error.code).toBe('IDENTITY_UNTRUSTED');
      expect(error.message).toBe('certificate "CN=Spy,O=org2msp" is not signed by any CA of "Org1MSP"');
    });

    it('refuses a certificate from a look-alike CA (same names, other key)', () => {
      const impostor = new DevOrganization({ mspId: 'Org2MSP', algorithm, provider: p, notBefore: CA_START });
      const error = identityErrorOf(() => validator.validate(impostor.issueMember('Mallory'), NOW));
      expect(error.code).toBe('IDENTITY_UNTRUSTED');
    });

    it('refuses an expired certificate, naming when it expired', () => {
      const member = org2.issueMember('Old', { notAfter: new Date('2030-03-01T00:00:00Z') });
      const error = identityErrorOf(() => validator.validate(member, NOW));
      expect(error.code).toBe('IDENTITY_CERT_EXPIRED');
      expect(error.message).toContain('certificate "CN=Old,O=org2msp" expired at 2030-03-01T00:00:00.000Z');
    });

    it('refuses a certificate that is not yet valid', () => {
      const member = org2.issueMember('Future', { notBefore: new Date('2031-01-01T00:00:00Z') });
      expect(identityErrorOf(() => validator.validate(member, NOW)).code).toBe('IDENTITY_CERT_NOT_YET_VALID');
    });

    it('refuses a CA certificate as a creator', () => {
      const ca = { mspId: 'Org1MSP', idBytes: utf8(org1.intermediate!.certPem) };
      expect(identityErrorOf(() => validator.validate(ca, NOW)).code).toBe('IDENTITY_CA_AS_CREATOR');
    });

    it('refuses unparsable id_bytes with a message saying so', () => {
      const error = identityErrorOf(() => validator.validate({ mspId: 'Org1MSP', idBytes: utf8('hello') }, NOW));
      expect(error.code).toBe('IDENTITY_UNPARSABLE_CERT');
      expect(error.message).toMatch(/^unparsable certificate: creator id_bytes holds no PEM block/);
      const garbled = utf8('-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n');
      expect(identityErrorOf(() => validator.validate({ mspId: 'Org1MSP', idBytes: garbled }, NOW)).code).toBe('IDENTITY_UNPARSABLE_CERT');
    });
  });

  it("accepts the real Fabric creator (peer0.org1) against SampleOrg's CA, and only within its validity", () => {
    const ca = fabricCert('ca.org1.example.com');
    const peer = fabricCert('peer0.org1.example.com');
    const validator = new IdentityValidator({ engine, organizations: [{ mspId: 'SampleOrg', rootCerts: [ca.pem], intermediateCerts: [] }] });
    const creator = { mspId: 'SampleOrg', idBytes: utf8(peer.pem) };
    const identity = validator.validate(creator, new Date('2020-01-01T00:00:00Z'));
    expect(identity.algorithm).toBe('ecdsa-p256');
    expect(Buffer.from(identity.publicKey)).toEqual(Buffer.from(peer.parsed.publicKey.publicKey));
    expect(identityErrorOf(() => validator.validate(creator, new Date('2028-01-01T00:00:00Z'))).code).toBe('IDENTITY_CERT_EXPIRED');
  });
});

describe('identity cache', () => {
  const p = provider('native-free');
  const org = new DevOrganization({ mspId: 'Org1MSP', algorithm: 'ecdsa-p256', provider: p, notBefore: CA_START });

  it('keeps at most cacheEntriesMax creators, evicting the least recently used', () => {
    const validator = new IdentityValidator({ engine: 'native', organizations: [org.config], cacheEntriesMax: 3 });
    const members = ['a', 'b', 'c', 'd', 'e'].map((cn) => org.issueMember(cn));
    for (const m of members) validator.validate(m, NOW);
    expect(validator.cacheSize).toBe(3);
    // c, d, e are cached; a and b were evicted and cost a full validation again.
    validator.validate(members[4]!, NOW);
    expect(validator.cacheStats).toEqual({ hits: 1, misses: 5 });
    validator.validate(members[0]!, NOW);
    expect(validator.cacheStats).toEqual({ hits: 1, misses: 6 });
    // Re-admitting a evicted the least recently used, c (e was just used).
    validator.validate(members[4]!, NOW);
    validator.validate(members[2]!, NOW);
    expect(validator.cacheStats).toEqual({ hits: 2, misses: 7 });
    expect(validator.cacheSize).toBe(3);
  });

  it('serves a hit from the cache, and re-checks expiry on the hit', () => {
    const validator = new IdentityValidator({ engine: 'native-free', organizations: [org.config], cacheEntriesMax: 10 });
    const member = org.issueMember('Cached', { notAfter: new Date('2030-07-01T00:00:00Z') });
    const first = validator.validate(member, NOW);
    expect(validator.cacheStats).toEqual({ hits: 0, misses: 1 });
    // A second call returns the very same object: nothing was re-parsed or re-verified.
    expect(validator.validate(member, NOW)).toBe(first);
    expect(validator.cacheStats).toEqual({ hits: 1, misses: 1 });
    expect(validator.cacheSize).toBe(1);
    const later = new Date('2030-08-01T00:00:00Z');
    expect(identityErrorOf(() => validator.validate(member, later)).code).toBe('IDENTITY_CERT_EXPIRED');
    expect(validator.cacheSize).toBe(0); // the expired entry was dropped
  });

  it('does not confuse the same certificate under two MSP ids', () => {
    const other = new DevOrganization({ mspId: 'Org2MSP', algorithm: 'ecdsa-p256', provider: p, notBefore: CA_START });
    const validator = new IdentityValidator({ engine: 'native', organizations: [org.config, other.config] });
    const member = org.issueMember('Twice');
    expect(validator.validate(member, NOW).mspId).toBe('Org1MSP');
    expect(identityErrorOf(() => validator.validate({ ...member, mspId: 'Org2MSP' }, NOW)).code).toBe('IDENTITY_UNTRUSTED');
  });

  it('rejects a bad cacheEntriesMax', () => {
    expect(() => new IdentityValidator({ engine: 'native', organizations: [], cacheEntriesMax: 0 })).toThrow(/cacheEntriesMax/);
  });
});

describe('MSP configuration', () => {
  const p = provider('native-free');
  const org = new DevOrganization({ mspId: 'Org1MSP', algorithm: 'sm2', provider: p, notBefore: CA_START, withIntermediate: true });
  const other = new DevOrganization({ mspId: 'Org2MSP', algorithm: 'sm2', provider: p, notBefore: CA_START });

  const configError = (organizations: ConstructorParameters<typeof IdentityValidator>[0]['organizations']): MspConfigError => {
    try {
      new IdentityValidator({ engine: 'native', organizations });
    } catch (error) {
      if (error instanceof MspConfigError) return error;
      throw error;
    }
    throw new Error('expected an MspConfigError');
  };

  it("refuses an intermediate that does not chain to the organization's roots", () => {
    const error = configError([{ ...org.config, rootCerts: other.config.rootCerts }]);
    expect(error.code).toBe('IDENTITY_BAD_MSP_CONFIG');
    expect(error.message).toBe('intermediate certificate "CN=ica.org1msp,O=org1msp" of "Org1MSP" does not chain to a root CA of "Org1MSP"');
  });

  it('refuses a member certificate listed as a root, a duplicate MSP id, an empty root list', () => {
    const member = org.issueMember('NotACa');
    expect(configError([{ mspId: 'X', rootCerts: [member.certPem], intermediateCerts: [] }]).message).toBe(
      'root certificate "CN=NotACa,O=org1msp" of "X" is not a CA certificate',
    );
    expect(configError([org.config, org.config]).message).toBe('MSP id "Org1MSP" is listed twice');
    expect(configError([{ mspId: 'X', rootCerts: [], intermediateCerts: [] }]).message).toBe('MSP "X" has no root certificate');
    expect(configError([{ mspId: 'X', rootCerts: ['junk'], intermediateCerts: [] }]).message).toMatch(/^root certificate #0 of "X" is unusable/);
  });
});
