// TLS chains of every algorithm OpenSSL verifies (RSA, P-384 and Ed25519 fixtures made by
// test/crypto/tls/make.sh), and the SM2 / P-256 chains of the dev PKI.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { TLS_LEAF_PEM_CHARS_MAX, TlsCaConfigError, TlsCaPool, type TlsChainVerdict } from '../../src/crypto/tls/tlsChain.js';
import type { Engine, SignatureAlgorithm } from '../../src/crypto/types.js';

const fixture = (name: string): string => readFileSync(new URL(`./tls/${name}.crt`, import.meta.url), 'utf8');
const NOW = new Date();
const FAR_FUTURE = new Date('2200-01-01T00:00:00Z');
const LONG_AGO = new Date('2000-01-01T00:00:00Z');

const rsaPool = (engine: Engine = 'native') => new TlsCaPool({ engine, rootCerts: [fixture('rsa-root')], intermediateCerts: [fixture('rsa-ica')] });
const subjectsOf = (verdict: TlsChainVerdict): string[] => (verdict.ok ? verdict.chain.map((c) => c.subject) : []);

function refusal(verdict: TlsChainVerdict): { problem: string; message: string } {
  if (verdict.ok) throw new Error(`expected a refusal, the chain of "${verdict.subject}" was accepted`);
  return { problem: verdict.problem, message: verdict.message };
}

describe('TlsCaPool with RSA and P-384 CAs (OpenSSL path)', () => {
  it.each<Engine>(['native', 'native-free'])(
    'accepts a P-384 leaf under an RSA intermediate and RSA root, giving its path to the root (%s engine)',
    (engine) => {
      const verdict = rsaPool(engine).verify(fixture('p384-via-ica'), NOW, true);
      expect(subjectsOf(verdict)).toEqual(['CN=orderer1.rsa.example.com,O=TlsOrg', 'CN=tlsica.rsa.example.com,O=TlsOrg', 'CN=tlsca.rsa.example.com,O=TlsOrg']);
    },
  );

  it('accepts RSA leaves issued by the root and by the intermediate', () => {
    const pool = rsaPool();
    expect(subjectsOf(pool.verify(fixture('rsa-leaf'), NOW, true))).toHaveLength(2);
    expect(subjectsOf(pool.verify(fixture('rsa-leaf2'), NOW, true))).toHaveLength(3);
  });

  it('accepts P-384 leaves of a P-384 root, and pools CAs of several organizations', () => {
    const pool = new TlsCaPool({ engine: 'native', rootCerts: [fixture('rsa-root'), fixture('p384-root')], intermediateCerts: [fixture('rsa-ica')] });
    for (const leaf of ['p384-leaf', 'p384-leaf2', 'rsa-leaf', 'p384-via-ica']) expect(pool.verify(fixture(leaf), NOW, true).ok).toBe(true);
  });

  it('accepts an Ed25519 leaf of an Ed25519 root, and refuses it under the RSA root', () => {
    const pool = new TlsCaPool({ engine: 'native', rootCerts: [fixture('ed25519-root')], intermediateCerts: [] });
    expect(subjectsOf(pool.verify(fixture('ed25519-leaf'), NOW, true))).toEqual([
      'CN=orderer1.ed25519.example.com,O=TlsOrg',
      'CN=tlsca.ed25519.example.com,O=TlsOrg',
    ]);
    expect(refusal(rsaPool().verify(fixture('ed25519-leaf'), NOW, true)).problem).toBe('untrusted');
  });

  it('refuses a leaf of another CA, naming the certificate', () => {
    expect(refusal(rsaPool().verify(fixture('p384-leaf'), NOW, true))).toEqual({
      problem: 'untrusted',
      message: 'certificate "CN=orderer1.p384.example.com,O=TlsOrg" is not issued by a TLS CA of an orderer organization',
    });
  });

  it("refuses a leaf whose issuer has the root's name but another key (the signature is checked, not only names)", () => {
    expect(refusal(rsaPool().verify(fixture('impostor-leaf'), NOW, true)).problem).toBe('untrusted');
    // The same leaf is accepted by its real issuer: the refusal above is about the key.
    expect(
      new TlsCaPool({ engine: 'native', rootCerts: [fixture('impostor-root')], intermediateCerts: [] }).verify(fixture('impostor-leaf'), NOW, true).ok,
    ).toBe(true);
  });

  it('refuses a leaf under an intermediate the pool does not list', () => {
    const rootOnly = new TlsCaPool({ engine: 'native', rootCerts: [fixture('rsa-root')], intermediateCerts: [] });
    expect(refusal(rootOnly.verify(fixture('p384-via-ica'), NOW, true)).problem).toBe('untrusted');
  });

  it('refuses an expired or not yet valid chain only when validity is checked', () => {
    const pool = rsaPool();
    const expired = refusal(pool.verify(fixture('p384-via-ica'), FAR_FUTURE, true));
    expect(expired.problem).toBe('expired');
    expect(expired.message).toMatch(/^certificate "CN=orderer1\.rsa\.example\.com,O=TlsOrg" expired at \d{4}-.* \(now 2200-01-01T00:00:00\.000Z\)$/);
    expect(refusal(pool.verify(fixture('p384-via-ica'), LONG_AGO, true)).problem).toBe('not-yet-valid');
    expect(pool.verify(fixture('p384-via-ica'), FAR_FUTURE, false).ok).toBe(true);
  });

  it('refuses a CA certificate as a leaf, and text that is not a certificate', () => {
    expect(refusal(rsaPool().verify(fixture('rsa-ica'), NOW, true)).problem).toBe('ca-as-leaf');
    expect(refusal(rsaPool().verify('not a certificate', NOW, true)).problem).toBe('unparsable');
    expect(refusal(rsaPool().verify('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', NOW, true)).problem).toBe('unparsable');
    // Bounded before parsing: a valid certificate padded past TLS_LEAF_PEM_CHARS_MAX is refused as such.
    const padded = fixture('rsa-leaf') + ' '.repeat(TLS_LEAF_PEM_CHARS_MAX);
    expect(refusal(rsaPool().verify(padded, NOW, true)).message).toBe(`PEM of ${padded.length} characters, more than ${TLS_LEAF_PEM_CHARS_MAX}`);
  });

  it.each<[string, () => TlsCaPool, RegExp]>([
    [
      'a leaf given as a root',
      () => new TlsCaPool({ engine: 'native', rootCerts: [fixture('rsa-leaf')], intermediateCerts: [] }),
      /TLS root certificate "CN=orderer2\.rsa\.example\.com,O=TlsOrg" is not a CA certificate/,
    ],
    [
      'an intermediate given as a root',
      () => new TlsCaPool({ engine: 'native', rootCerts: [fixture('rsa-ica')], intermediateCerts: [] }),
      /TLS root certificate "CN=tlsica\.rsa\.example\.com,O=TlsOrg" is not self-signed/,
    ],
    [
      'an intermediate of another root',
      () => new TlsCaPool({ engine: 'native', rootCerts: [fixture('p384-root')], intermediateCerts: [fixture('rsa-ica')] }),
      /TLS intermediate certificate "CN=tlsica\.rsa\.example\.com,O=TlsOrg" does not chain to a TLS root certificate/,
    ],
    ['no root', () => new TlsCaPool({ engine: 'native', rootCerts: [], intermediateCerts: [] }), /no TLS root certificate/],
    [
      'a root that is not PEM',
      () => new TlsCaPool({ engine: 'native', rootCerts: [fixture('rsa-root'), 'garbage'], intermediateCerts: [] }),
      /TLS root certificate #1 is unusable/,
    ],
  ])('refuses %s when the pool is built', (_name, build, message) => {
    expect(build).toThrow(TlsCaConfigError);
    expect(build).toThrow(message);
  });
});

describe('TlsCaPool with dev PKI CAs (SM2 through the engine, P-256 through OpenSSL)', () => {
  const cases: [SignatureAlgorithm, Engine][] = [
    ['sm2', 'native'],
    ['sm2', 'native-free'],
    ['ecdsa-p256', 'native'],
    ['ecdsa-p256', 'native-free'],
  ];
  it.each(cases)("accepts a %s leaf of the org's intermediate and refuses one of another org (%s engine)", (algorithm, engine) => {
    const provider = createCryptoProvider(engine);
    const org = new DevOrganization({ mspId: 'TlsMSP', algorithm, provider, withIntermediate: true });
    const other = new DevOrganization({ mspId: 'OtherMSP', algorithm, provider });
    const pool = new TlsCaPool({ engine, rootCerts: [org.root.certPem], intermediateCerts: [org.intermediate!.certPem] });
    expect(subjectsOf(pool.verify(org.issueMember('orderer1').certPem, NOW, true))).toHaveLength(3);
    expect(refusal(pool.verify(other.issueMember('orderer1').certPem, NOW, true)).problem).toBe('untrusted');
  });

  it("refuses an SM2 leaf signed by a P-256 CA's name-alike, and pools SM2 with RSA CAs", () => {
    const provider = createCryptoProvider('native');
    const sm2Org = new DevOrganization({ mspId: 'GmMSP', algorithm: 'sm2', provider });
    const pool = new TlsCaPool({ engine: 'native', rootCerts: [sm2Org.root.certPem, fixture('rsa-root')], intermediateCerts: [fixture('rsa-ica')] });
    expect(pool.verify(sm2Org.issueMember('o1').certPem, NOW, true).ok).toBe(true);
    expect(pool.verify(fixture('p384-via-ica'), NOW, true).ok).toBe(true);
    // Same domain, so the same CA name, but a P-256 key: neither path may accept it.
    const p256Twin = new DevOrganization({ mspId: 'GmMSP', algorithm: 'ecdsa-p256', provider });
    expect(refusal(pool.verify(p256Twin.issueMember('o1').certPem, NOW, true)).problem).toBe('untrusted');
  });
});
