// The signing key named by a creator's id_bytes (a PEM X.509 certificate), for
// checking signatures without MSP trust evaluation (ledger verification).
// Pure DER parsing from src/crypto, so it serves both engines. Parsed keys are
// cached by certificate bytes: a ledger repeats the same few creators.

import { ID_BYTES_MAX } from '../crypto/index.js';
import { CertificateParseError } from '../crypto/index.js';
import { BytesKeyedLru } from '../crypto/index.js';
import { decodePem } from '../crypto/index.js';
import { parseCertificate } from '../crypto/index.js';
import type { CreatorKey } from './ledgerVerify.js';

const CREATOR_KEY_CACHE_ENTRIES = 1024;

/** Returns a resolver with its own bounded cache. Throws OrdererError subclasses for unusable certificates. */
export function createCreatorKeyResolver(): (idBytes: Uint8Array) => CreatorKey {
  const cache = new BytesKeyedLru<CreatorKey>(CREATOR_KEY_CACHE_ENTRIES);
  return (idBytes) => {
    if (idBytes.length > ID_BYTES_MAX) throw new CertificateParseError(`creator id_bytes are ${idBytes.length} bytes, more than ${ID_BYTES_MAX}`);
    const cached = cache.get('', idBytes);
    if (cached !== undefined) return cached;
    const pem = new TextDecoder().decode(idBytes);
    const { algorithm, publicKey } = parseCertificate(decodePem(pem, ['CERTIFICATE'], 'creator id_bytes').der).publicKey;
    const key = { algorithm, publicKey };
    cache.set('', idBytes, key);
    return key;
  };
}
