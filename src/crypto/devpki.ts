// A development PKI in the shape of a Fabric organization: root CA, optional
// intermediate CA, and member certificates, for P-256 or SM2, with no openssl
// CLI. Used by tests and by `orderer keygen`.

import { issueCertificate, type ExtendedKeyUsage } from './x509/writer.js';
import type { DistinguishedName } from './x509/names.js';
import type { OrganizationConfig } from './msp.js';
import type { CryptoProvider, KeyPairSigner, SignatureAlgorithm } from './types.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface DevCa {
  readonly name: DistinguishedName;
  readonly signer: KeyPairSigner;
  readonly certPem: string;
}

export interface DevIdentity {
  readonly signer: KeyPairSigner;
  readonly certPem: string;
  /** What a SerializedIdentity would carry. */
  readonly mspId: string;
  readonly idBytes: Uint8Array;
}

export interface MemberOptions {
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly organizationalUnit?: string;
  /** For TLS certificates: DNS names / IPv4 addresses. */
  readonly subjectAltNames?: readonly string[];
  readonly extendedKeyUsage?: readonly ExtendedKeyUsage[];
}

export interface DevOrganizationOptions {
  readonly mspId: string;
  readonly algorithm: SignatureAlgorithm;
  readonly provider: CryptoProvider;
  /** Domain for names, e.g. "org1.example.com"; default: the MSP id lower-cased. */
  readonly domain?: string;
  /** Issue members from an intermediate CA under the root. */
  readonly withIntermediate?: boolean;
  /** Start of the CAs' validity; default now minus one hour. */
  readonly notBefore?: Date;
  /** Length of the CAs' validity; default 10 years (as cryptogen). */
  readonly caValidityDays?: number;
}

export class DevOrganization {
  readonly mspId: string;
  readonly algorithm: SignatureAlgorithm;
  readonly root: DevCa;
  readonly intermediate: DevCa | undefined;
  readonly #provider: CryptoProvider;
  readonly #domain: string;
  readonly #notBefore: Date;
  readonly #notAfter: Date;

  constructor(options: DevOrganizationOptions) {
    this.mspId = options.mspId;
    this.algorithm = options.algorithm;
    this.#provider = options.provider;
    this.#domain = options.domain ?? options.mspId.toLowerCase();
    this.#notBefore = options.notBefore ?? new Date(Date.now() - 60 * 60 * 1000);
    this.#notAfter = new Date(this.#notBefore.getTime() + (options.caValidityDays ?? 3650) * DAY_MS);
    this.root = this.#selfSignedCa({ organization: this.#domain, commonName: `ca.${this.#domain}` });
    this.intermediate = options.withIntermediate
      ? this.#subordinateCa({ organization: this.#domain, commonName: `ica.${this.#domain}` }, this.root)
      : undefined;
  }

  /** The channel-config view of this organization. */
  get config(): OrganizationConfig {
    return {
      mspId: this.mspId,
      rootCerts: [this.root.certPem],
      intermediateCerts: this.intermediate ? [this.intermediate.certPem] : [],
    };
  }

  /** The CA that issues members. */
  get issuingCa(): DevCa {
    return this.intermediate ?? this.root;
  }

  /** A member (client, peer, orderer) certificate with a fresh key, issued by `issuingCa` (or `by`). */
  issueMember(commonName: string, options: MemberOptions = {}, by: DevCa = this.issuingCa): DevIdentity {
    const signer = this.#provider.generateSigner(this.algorithm);
    const { pem } = issueCertificate(
      {
        subject: { organization: this.#domain, organizationalUnit: options.organizationalUnit, commonName },
        publicKeyAlgorithm: this.algorithm,
        publicKey: signer.publicKey,
        notBefore: options.notBefore ?? this.#notBefore,
        notAfter: options.notAfter ?? this.#notAfter,
        isCa: false,
        keyUsage: ['digitalSignature'],
        extendedKeyUsage: options.extendedKeyUsage,
        subjectAltNames: options.subjectAltNames,
      },
      { name: by.name, signer: by.signer },
    );
    return { signer, certPem: pem, mspId: this.mspId, idBytes: new TextEncoder().encode(pem) };
  }

  #selfSignedCa(name: DistinguishedName): DevCa {
    const signer = this.#provider.generateSigner(this.algorithm);
    return this.#ca(name, signer, { name, signer });
  }

  #subordinateCa(name: DistinguishedName, parent: DevCa): DevCa {
    return this.#ca(name, this.#provider.generateSigner(this.algorithm), { name: parent.name, signer: parent.signer });
  }

  #ca(name: DistinguishedName, signer: KeyPairSigner, issuer: { name: DistinguishedName; signer: KeyPairSigner }): DevCa {
    const { pem } = issueCertificate(
      {
        subject: name,
        publicKeyAlgorithm: this.algorithm,
        publicKey: signer.publicKey,
        notBefore: this.#notBefore,
        notAfter: this.#notAfter,
        isCa: true,
        keyUsage: ['digitalSignature', 'keyCertSign', 'cRLSign'],
      },
      issuer,
    );
    return { name, signer, certPem: pem };
  }
}
