// Pure-JS hashers: SHA-256 from @noble/hashes, SM3 written here (sm3.ts).

import { sha256 } from '@noble/hashes/sha2.js';
import type { HashAlgorithm, Hasher } from '../../src/crypto/types.js';
import { Sm3 } from './sm3.js';

const sha256Hasher: Hasher = {
  algorithm: 'sha256',
  digest(...parts) {
    const h = sha256.create();
    for (const part of parts) h.update(part);
    return h.digest();
  },
};

const sm3Hasher: Hasher = {
  algorithm: 'sm3',
  digest(...parts) {
    const h = new Sm3();
    for (const part of parts) h.update(part);
    return h.digest();
  },
};

export function nativeFreeHasher(algorithm: HashAlgorithm): Hasher {
  switch (algorithm) {
    case 'sha256':
      return sha256Hasher;
    case 'sm3':
      return sm3Hasher;
  }
}
