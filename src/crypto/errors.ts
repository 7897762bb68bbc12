// Operating errors of the crypto layer. Codes are stable (tests and callers
// match on them); messages name the input that was wrong.

import { OrdererError } from '../errors.js';

/** Malformed ASN.1/DER, PEM or key encoding. */
export class CryptoEncodingError extends OrdererError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CRYPTO_BAD_ENCODING', message, options);
  }
}

/** A key, curve or algorithm we do not support (e.g. RSA, P-384). */
export class UnsupportedAlgorithmError extends OrdererError {
  constructor(message: string) {
    super('CRYPTO_UNSUPPORTED_ALGORITHM', message);
  }
}

/** Why a creator identity was refused; `code` says which check failed. */
export class IdentityError extends OrdererError {}

export class UnknownMspError extends IdentityError {
  constructor(readonly mspId: string) {
    super('IDENTITY_UNKNOWN_MSP', `unknown MSP id "${mspId}"`);
  }
}

export class CertificateParseError extends IdentityError {
  constructor(what: string, options?: { cause?: unknown }) {
    super('IDENTITY_UNPARSABLE_CERT', `unparsable certificate: ${what}`, options);
  }
}

export class CertificateExpiredError extends IdentityError {
  constructor(subject: string, notAfter: Date, now: Date) {
    super('IDENTITY_CERT_EXPIRED', `certificate "${subject}" expired at ${notAfter.toISOString()} (now ${now.toISOString()})`);
  }
}

export class CertificateNotYetValidError extends IdentityError {
  constructor(subject: string, notBefore: Date, now: Date) {
    super('IDENTITY_CERT_NOT_YET_VALID', `certificate "${subject}" is not valid before ${notBefore.toISOString()} (now ${now.toISOString()})`);
  }
}

export class UntrustedCertificateError extends IdentityError {
  constructor(subject: string, mspId: string) {
    super('IDENTITY_UNTRUSTED', `certificate "${subject}" is not signed by any CA of "${mspId}"`);
  }
}

/** Certificates that are CAs cannot sign transactions (Fabric refuses them too). */
export class CaAsCreatorError extends IdentityError {
  constructor(subject: string) {
    super('IDENTITY_CA_AS_CREATOR', `certificate "${subject}" is a CA certificate, not a member identity`);
  }
}

/** The MSP configuration of a channel is wrong (bad root cert, empty list...). */
export class MspConfigError extends IdentityError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('IDENTITY_BAD_MSP_CONFIG', message, options);
  }
}
