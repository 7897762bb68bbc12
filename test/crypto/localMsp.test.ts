import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { MspConfigError } from '../../src/crypto/errors.js';
import { IdentityValidator } from '../../src/crypto/identity.js';
import { loadLocalMsp, localMspFiles, writeLocalMsp } from '../../src/crypto/localMsp.js';
import { ALGORITHMS, provider, utf8 } from './engines.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-orderer-msp-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.each(ALGORITHMS)('local MSP directory, %s', (algorithm) => {
  const p = provider('native');
  const org = new DevOrganization({ mspId: 'OrdererMSP', algorithm, provider: p, withIntermediate: true });
  const member = org.issueMember('orderer0.example.com');
  const dir = path.join(tmp, algorithm);
  writeLocalMsp(dir, localMspFiles(org, member));

  it('writes the Fabric layout with a private keystore', () => {
    expect(fs.readdirSync(dir).sort()).toEqual(['cacerts', 'intermediatecerts', 'keystore', 'signcerts']);
    expect(fs.statSync(path.join(dir, 'keystore/priv_sk')).mode & 0o777).toBe(0o600);
  });

  it("loads back a signer whose signatures validate against the directory's own CAs", () => {
    const msp = loadLocalMsp(dir, { mspId: 'OrdererMSP', provider: p });
    expect(Buffer.from(msp.signer.publicKey)).toEqual(Buffer.from(member.signer.publicKey));
    const validator = new IdentityValidator({ engine: 'native-free', organizations: [msp.organization] });
    const identity = validator.validate({ mspId: msp.mspId, idBytes: utf8(msp.certPem) }, new Date());
    const msg = utf8('block header');
    expect(provider('native-free').verifier(identity.algorithm).verify(identity.publicKey, msg, msp.signer.sign(msg))).toBe(true);
  });

  it('refuses a keystore key that does not belong to the certificate', () => {
    const wrong = path.join(tmp, `${algorithm}-wrong`);
    const files = new Map(localMspFiles(org, member));
    files.set('keystore/priv_sk', p.generateSigner(algorithm).exportPrivateKeyPem());
    writeLocalMsp(wrong, files);
    expect(() => loadLocalMsp(wrong, { mspId: 'OrdererMSP', provider: p })).toThrow(MspConfigError);
    expect(() => loadLocalMsp(wrong, { mspId: 'OrdererMSP', provider: p })).toThrow(/does not belong to the certificate/);
  });
});

describe('local MSP errors', () => {
  it('names a missing folder and a folder with two keys', () => {
    const dir = path.join(tmp, 'broken');
    fs.mkdirSync(path.join(dir, 'signcerts'), { recursive: true });
    expect(() => loadLocalMsp(dir, { mspId: 'X', provider: provider('native') })).toThrow(/signcerts must hold exactly one file, found 0/);
    fs.writeFileSync(path.join(dir, 'signcerts', 'a.pem'), 'x');
    expect(() => loadLocalMsp(dir, { mspId: 'X', provider: provider('native') })).toThrow(`MSP directory ${dir} has no keystore/ folder`);
    fs.mkdirSync(path.join(dir, 'keystore'));
    fs.writeFileSync(path.join(dir, 'keystore', 'k1'), 'x');
    fs.writeFileSync(path.join(dir, 'keystore', 'k2'), 'x');
    expect(() => loadLocalMsp(dir, { mspId: 'X', provider: provider('native') })).toThrow(/keystore must hold exactly one file, found 2/);
  });
});
