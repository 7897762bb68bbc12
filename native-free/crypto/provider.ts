// The native-free crypto engine: no native addon and no node:crypto curve
// code; only @noble/* and our own SM3/SM2.

import type { CryptoProvider } from '../../src/crypto/types.js';
import { nativeFreeHasher } from './hashers.js';
import { nativeFreeGenerateSigner, nativeFreeSignerFromPrivateKey, nativeFreeVerifier } from './signers.js';

export const nativeFreeCryptoProvider: CryptoProvider = {
  engine: 'native-free',
  hasher: nativeFreeHasher,
  verifier: nativeFreeVerifier,
  signerFromPrivateKey: nativeFreeSignerFromPrivateKey,
  generateSigner: nativeFreeGenerateSigner,
};
