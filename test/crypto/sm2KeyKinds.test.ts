// SM2 keys of every kind node:crypto can hold, as src/crypto/SM2.md describes
// them: what node:crypto (Node 20, OpenSSL 3) itself computes with each kind,
// and that the project's signatures from the same keys are GB/T 32918.2 SM2
// with the default user id in both engines, whichever kind the key came as.

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ecdsa } from '@noble/curves/abstract/weierstrass.js';
import { afterAll, describe, expect, it } from 'vitest';
import { Sm2Point, sm2Sign, sm2Verify } from '../../native-free/crypto/sm2.js';
import { sm3 } from '../../native-free/crypto/sm3.js';
import { OID } from '../../src/crypto/curves.js';
import * as der from '../../src/crypto/der.js';
import { DevOrganization, issueCertificate, loadLocalMsp, localMspFiles, writeLocalMsp } from '../../src/crypto/index.js';
import { decodePrivateKeyPem, decodeSpki } from '../../src/crypto/keys.js';
import { decodeSignature, encodeSignature } from '../../src/crypto/signatureDer.js';
import type { KeyPairSigner } from '../../src/crypto/types.js';
import { ENGINES, provider, utf8 } from './engines.js';

const MESSAGE = utf8('message digest');
const EMPTY_ID = new Uint8Array(0);

const sm3Hash = Object.assign((m: Uint8Array) => sm3(m), {
  outputLen: 32,
  blockLen: 64,
  create: () => {
    throw new Error('unused');
  },
});
/** Plain ECDSA on the SM2 curve with an SM3 digest: no Z_A, ECDSA's equations. */
const ecdsaOnSm2Curve = ecdsa(Sm2Point, sm3Hash as never, { lowS: false });

/** Which algorithm a DER signature of MESSAGE under `publicKey` satisfies. */
function computed(publicKey: Uint8Array, signature: Uint8Array): 'ECDSA' | 'SM2, default id' | 'SM2, empty id' | 'none' {
  const raw = decodeSignature(signature);
  if (sm2Verify(publicKey, MESSAGE, raw)) return 'SM2, default id';
  if (sm2Verify(publicKey, MESSAGE, raw, { userId: EMPTY_ID })) return 'SM2, empty id';
  if (ecdsaOnSm2Curve.verify(signature, MESSAGE, publicKey, { format: 'der', lowS: false })) return 'ECDSA';
  return 'none';
}

// Kind 1: a key pair node:crypto generates itself.
const generated = crypto.generateKeyPairSync('ec', { namedCurve: 'SM2' });
const generatedPublic = decodeSpki(new Uint8Array(generated.publicKey.export({ type: 'spki', format: 'der' }))).publicKey;

// Kind 2: keygen's own keystore/priv_sk (PKCS#8, id-ecPublicKey + curve SM2), read from disk.
const mspDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sm2-kinds-'));
const org = new DevOrganization({ mspId: 'Org1MSP', algorithm: 'sm2', provider: provider('native') });
const member = org.issueMember('orderer1.org1.example.com');
writeLocalMsp(mspDir, localMspFiles(org, member));
const keystorePem = fs.readFileSync(path.join(mspDir, 'keystore/priv_sk'), 'utf8');
const keystorePublic = member.signer.publicKey;
afterAll(() => fs.rmSync(mspDir, { recursive: true, force: true }));

/** The same generated key written out and read back in each encoding node:crypto reads. */
const DECODED_PRIVATE_KEYS: ReadonlyArray<[string, () => crypto.KeyObject, Uint8Array]> = [
  ['PKCS#8 PEM, as keygen writes priv_sk', () => crypto.createPrivateKey(keystorePem), keystorePublic],
  ['PKCS#8 PEM exported from a generated key', () => crypto.createPrivateKey(generated.privateKey.export({ type: 'pkcs8', format: 'pem' })), generatedPublic],
  [
    'PKCS#8 DER',
    () => crypto.createPrivateKey({ key: generated.privateKey.export({ type: 'pkcs8', format: 'der' }), format: 'der', type: 'pkcs8' }),
    generatedPublic,
  ],
  ['SEC1 PEM (EC PRIVATE KEY)', () => crypto.createPrivateKey(generated.privateKey.export({ type: 'sec1', format: 'pem' })), generatedPublic],
  ['PKCS#8 under the SM2 algorithm OID', () => sm2AlgorithmOidKey(keystorePem), keystorePublic],
];

/** PKCS#8 as some GM tools write it: algorithm OID sm2 instead of id-ecPublicKey. */
function sm2AlgorithmOidKey(pem: string): crypto.KeyObject {
  const { secret } = decodePrivateKeyPem(pem);
  const pkcs8 = der.sequence(
    der.unsignedInteger(0n),
    der.sequence(der.oid(OID.sm2Curve), der.oid(OID.sm2Curve)),
    der.octetString(der.sequence(der.unsignedInteger(1n), der.octetString(secret))),
  );
  return crypto.createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
}

describe('node:crypto (Node 20, OpenSSL 3) with each kind of SM2-curve key', () => {
  it('a generated key pair is an "ec" key: plain ECDSA with whatever digest is asked', () => {
    expect(generated.privateKey.asymmetricKeyType).toBe('ec');
    expect(generated.privateKey.asymmetricKeyDetails).toEqual({ namedCurve: 'SM2' });
    expect(computed(generatedPublic, crypto.sign('sm3', MESSAGE, generated.privateKey))).toBe('ECDSA');
    // No digest named: ECDSA over SHA-256, OpenSSL's default for EC keys.
    const defaultDigest = crypto.sign(null, MESSAGE, generated.privateKey);
    expect(computed(generatedPublic, defaultDigest)).toBe('none');
    expect(crypto.verify('sha256', MESSAGE, generated.publicKey, defaultDigest)).toBe(true);
    expect(crypto.verify('sha256', MESSAGE, generated.publicKey, crypto.sign('sha256', MESSAGE, generated.privateKey))).toBe(true);
  });

  it.each(DECODED_PRIVATE_KEYS)("a key read from %s is OpenSSL's SM2 key type: SM2 with an empty user id, SM3 only", (_kind, load, publicKey) => {
    const key = load();
    expect(key.asymmetricKeyType).toBeUndefined(); // Node has no name for EVP_PKEY_SM2
    expect(key.asymmetricKeyDetails).toEqual({});
    expect(computed(publicKey, crypto.sign('sm3', MESSAGE, key))).toBe('SM2, empty id');
    expect(computed(publicKey, crypto.sign(null, MESSAGE, key))).toBe('SM2, empty id');
    expect(() => crypto.sign('sha256', MESSAGE, key)).toThrow(/invalid digest/);
  });

  it('public keys: a generated one verifies ECDSA; one read from an SPKI or a certificate verifies SM2 with an empty id', () => {
    const ecdsaSignature = crypto.sign('sm3', MESSAGE, generated.privateKey);
    const emptyIdSignature = crypto.sign('sm3', MESSAGE, crypto.createPrivateKey(generated.privateKey.export({ type: 'pkcs8', format: 'pem' })));
    const defaultIdSignature = provider('native')
      .signerFromPrivateKey('sm2', generated.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)
      .sign(MESSAGE);
    const fromSpki = crypto.createPublicKey(generated.publicKey.export({ type: 'spki', format: 'pem' }));
    expect(fromSpki.asymmetricKeyType).toBeUndefined();
    const verdicts = (key: crypto.KeyObject) => [ecdsaSignature, emptyIdSignature, defaultIdSignature].map((s) => crypto.verify('sm3', MESSAGE, key, s));
    expect(verdicts(generated.publicKey)).toEqual([true, false, false]);
    expect(verdicts(fromSpki)).toEqual([false, true, false]);
    const fromCertificate = new crypto.X509Certificate(member.certPem).publicKey;
    expect(fromCertificate.asymmetricKeyType).toBeUndefined();
    expect(crypto.verify('sm3', MESSAGE, fromCertificate, crypto.sign('sm3', MESSAGE, crypto.createPrivateKey(keystorePem)))).toBe(true);
    expect(crypto.verify('sm3', MESSAGE, fromCertificate, member.signer.sign(MESSAGE))).toBe(false);
  });

  it('X509Certificate.verify checks SM2 with an empty user id: it refuses certificates signed with the default id', () => {
    expect(new crypto.X509Certificate(member.certPem).verify(new crypto.X509Certificate(org.root.certPem).publicKey)).toBe(false);
    const emptyIdCa = withUserId(org.root.signer, secretOf(org.root.signer), EMPTY_ID);
    const name = { organization: 'org1.example.com', commonName: 'ca.org1.example.com' };
    const now = Date.now();
    const { pem } = issueCertificate(
      {
        subject: name,
        publicKeyAlgorithm: 'sm2',
        publicKey: emptyIdCa.publicKey,
        notBefore: new Date(now - 3_600_000),
        notAfter: new Date(now + 3_600_000),
        isCa: true,
        keyUsage: ['keyCertSign'],
      },
      { name, signer: emptyIdCa },
    );
    const certificate = new crypto.X509Certificate(pem);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
  });

  it('JWK: Node 20 neither exports nor imports an SM2 key', () => {
    expect(() => generated.privateKey.export({ format: 'jwk' })).toThrow(/Unsupported JWK EC curve: SM2/);
    const jwk = { kty: 'EC', crv: 'SM2', x: 'AA', y: 'AA', d: 'AA' };
    expect(() => crypto.createPrivateKey({ key: jwk, format: 'jwk' })).toThrow(/key\.crv/);
  });
});

function secretOf(signer: KeyPairSigner): bigint {
  return der.bytesToBigInt(decodePrivateKeyPem(signer.exportPrivateKeyPem()).secret);
}

/** `signer`'s key signing SM2 under another user id (what OpenSSL computes for the same key when read from bytes). */
function withUserId(signer: KeyPairSigner, secret: bigint, userId: Uint8Array): KeyPairSigner {
  return { ...signer, sign: (message) => encodeSignature(sm2Sign(secret, signer.publicKey, message, { userId })) };
}

describe("the project's SM2 signatures from each kind of key", () => {
  const kinds: ReadonlyArray<[string, () => KeyPairSigner[], Uint8Array]> = [
    [
      'generated by node:crypto (its PKCS#8 export)',
      () => ENGINES.map((e) => provider(e).signerFromPrivateKey('sm2', generated.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)),
      generatedPublic,
    ],
    [
      'generated by node:crypto (its SEC1 export)',
      () => ENGINES.map((e) => provider(e).signerFromPrivateKey('sm2', generated.privateKey.export({ type: 'sec1', format: 'pem' }) as string)),
      generatedPublic,
    ],
    [
      "keygen's keystore/priv_sk, loaded as a local MSP",
      () => ENGINES.map((e) => loadLocalMsp(mspDir, { mspId: 'Org1MSP', provider: provider(e) }).signer),
      keystorePublic,
    ],
  ];

  it.each(kinds)('a key %s signs SM2 with the default user id in both engines, and both engines verify it', (_kind, signers, publicKey) => {
    for (const signer of signers()) {
      expect(Buffer.from(signer.publicKey).equals(Buffer.from(publicKey))).toBe(true);
      const signature = signer.sign(MESSAGE);
      expect(computed(publicKey, signature)).toBe('SM2, default id');
      for (const engine of ENGINES) expect(provider(engine).verifier('sm2').verify(publicKey, MESSAGE, signature), engine).toBe(true);
    }
  });

  it.each(ENGINES)('the %s verifier refuses what node:crypto signs with either kind (ECDSA, or SM2 with an empty id)', (engine) => {
    const verifier = provider(engine).verifier('sm2');
    expect(verifier.verify(generatedPublic, MESSAGE, crypto.sign('sm3', MESSAGE, generated.privateKey))).toBe(false);
    expect(verifier.verify(keystorePublic, MESSAGE, crypto.sign('sm3', MESSAGE, crypto.createPrivateKey(keystorePem)))).toBe(false);
  });
});
