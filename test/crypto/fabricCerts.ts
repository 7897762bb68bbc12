// Certificates found in the real Fabric ledger sample (test/fixtures/fabric):
// ca.org1.example.com (SampleOrg's root CA, in block 0's config) and
// peer0.org1.example.com (a transaction creator it issued), plus Org2's root
// and intermediate. Extracted by PEM armour, without decoding protobuf.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodePemBlocks } from '../../src/crypto/pem.js';
import { parseCertificate, type ParsedCertificate } from '../../src/crypto/x509/certificate.js';

export const LEDGER_SAMPLE = fileURLToPath(new URL('../fixtures/fabric/ledger-sample', import.meta.url));

export interface FabricCert {
  readonly pem: string;
  readonly parsed: ParsedCertificate;
}

export function fabricCertificates(): FabricCert[] {
  const found = new Map<string, FabricCert>();
  for (const file of fs
    .readdirSync(LEDGER_SAMPLE)
    .filter((f) => f.endsWith('.block'))
    .sort()) {
    const text = fs.readFileSync(path.join(LEDGER_SAMPLE, file)).toString('latin1');
    for (const match of text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g)) {
      const pem = match[0];
      if (found.has(pem)) continue;
      const block = decodePemBlocks(pem)[0]!;
      found.set(pem, { pem, parsed: parseCertificate(block.der) });
    }
  }
  return [...found.values()];
}

export function fabricCert(commonName: string): FabricCert {
  const cert = fabricCertificates().find((c) => c.parsed.subject.startsWith(`CN=${commonName},`));
  if (cert === undefined) throw new Error(`no certificate CN=${commonName} in ${LEDGER_SAMPLE}`);
  return cert;
}
