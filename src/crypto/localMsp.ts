// A node's own identity as a Fabric "local MSP" directory (what cryptogen and
// fabric-ca-client write, what a Fabric orderer's General.LocalMSPDir points to):
//   cacerts/*.pem  intermediatecerts/*.pem  signcerts/<one cert>.pem  keystore/<one key>
// Loading checks the key matches the certificate; writing produces the same
// layout from our dev PKI (for `orderer keygen`).

import fs from 'node:fs';
import path from 'node:path';
import { CryptoEncodingError, MspConfigError, UnsupportedAlgorithmError } from './errors.js';
import type { DevIdentity, DevOrganization } from './devpki.js';
import type { OrganizationConfig } from './msp.js';
import { decodePem } from './pem.js';
import type { CryptoProvider, KeyPairSigner } from './types.js';
import { parseCertificate } from './x509/certificate.js';

/** Any single MSP file is a PEM of a few KiB; refuse to read anything larger. */
const MSP_FILE_BYTES_MAX = 256 * 1024;
const MSP_FILES_PER_FOLDER_MAX = 256;

export interface LocalMsp {
  readonly mspId: string;
  readonly signer: KeyPairSigner;
  /** PEM of the signing certificate: the id_bytes of this node's SerializedIdentity. */
  readonly certPem: string;
  /** The CAs in the directory, as a channel would list this organization. */
  readonly organization: OrganizationConfig;
}

function readFolder(dir: string, folder: string, required: boolean): string[] {
  const full = path.join(dir, folder);
  if (!fs.existsSync(full)) {
    if (required) throw new MspConfigError(`MSP directory ${dir} has no ${folder}/ folder`);
    return [];
  }
  const names = fs
    .readdirSync(full)
    .filter((name) => !name.startsWith('.'))
    .sort();
  if (names.length > MSP_FILES_PER_FOLDER_MAX) throw new MspConfigError(`${full} holds more than ${MSP_FILES_PER_FOLDER_MAX} files`);
  return names.map((name) => {
    const file = path.join(full, name);
    const size = fs.statSync(file).size;
    if (size > MSP_FILE_BYTES_MAX) throw new MspConfigError(`${file} is ${size} bytes, more than ${MSP_FILE_BYTES_MAX}`);
    return fs.readFileSync(file, 'utf8');
  });
}

function single(contents: string[], dir: string, folder: string): string {
  if (contents.length !== 1) throw new MspConfigError(`${path.join(dir, folder)} must hold exactly one file, found ${contents.length}`);
  return contents[0]!;
}

/** Loads and checks a local MSP directory. Throws MspConfigError naming the path and the problem. */
export function loadLocalMsp(dir: string, options: { mspId: string; provider: CryptoProvider }): LocalMsp {
  const certPem = single(readFolder(dir, 'signcerts', true), dir, 'signcerts');
  const keyPem = single(readFolder(dir, 'keystore', true), dir, 'keystore');
  let signer: KeyPairSigner;
  try {
    const cert = parseCertificate(decodePem(certPem, ['CERTIFICATE'], `${dir}/signcerts`).der);
    signer = options.provider.signerFromPrivateKey(cert.publicKey.algorithm, keyPem);
    if (Buffer.compare(signer.publicKey, cert.publicKey.publicKey) !== 0) {
      throw new MspConfigError(`the key in ${dir}/keystore does not belong to the certificate in ${dir}/signcerts ("${cert.subject}")`);
    }
  } catch (error) {
    if (error instanceof CryptoEncodingError || error instanceof UnsupportedAlgorithmError) {
      throw new MspConfigError(`MSP directory ${dir}: ${error.message}`, { cause: error });
    }
    throw error;
  }
  const organization: OrganizationConfig = {
    mspId: options.mspId,
    rootCerts: readFolder(dir, 'cacerts', true),
    intermediateCerts: readFolder(dir, 'intermediatecerts', false),
  };
  return { mspId: options.mspId, signer, certPem, organization };
}

/** Relative path -> content of a local MSP for `member` of `org` (keystore file is secret). */
export function localMspFiles(org: DevOrganization, member: DevIdentity): ReadonlyMap<string, string> {
  const files = new Map<string, string>([
    ['cacerts/ca-cert.pem', org.root.certPem],
    ['signcerts/cert.pem', member.certPem],
    ['keystore/priv_sk', member.signer.exportPrivateKeyPem()],
  ]);
  if (org.intermediate) files.set('intermediatecerts/ica-cert.pem', org.intermediate.certPem);
  return files;
}

/** Writes `files` under `dir`; the keystore is readable by its owner only. */
export function writeLocalMsp(dir: string, files: ReadonlyMap<string, string>): void {
  for (const [relative, content] of files) {
    const file = path.join(dir, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, content, { mode: relative.startsWith('keystore/') ? 0o600 : 0o644 });
  }
}
