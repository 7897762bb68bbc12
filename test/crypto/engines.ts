// Both engines, for tests that must hold for each of them.

import { createCryptoProvider } from '../../src/crypto/provider.js';
import type { CryptoProvider, Engine, SignatureAlgorithm } from '../../src/crypto/types.js';

export const ENGINES: readonly Engine[] = ['native', 'native-free'];
export const ALGORITHMS: readonly SignatureAlgorithm[] = ['ecdsa-p256', 'sm2'];

export const provider = (engine: Engine): CryptoProvider => createCryptoProvider(engine);

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
export const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

/** A copy of `bytes` with one bit flipped at `index`. */
export function flipped(bytes: Uint8Array, index: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[index]! ^= 0x01;
  return copy;
}
