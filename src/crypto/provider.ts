// The one switch between crypto engines (`engine: native | native-free`).

import { nativeFreeCryptoProvider } from '../../native-free/crypto/provider.js';
import { createNativeCryptoProvider } from './native.js';
import type { CryptoProvider, Engine } from './types.js';

let nativeProvider: CryptoProvider | undefined;

/** The provider of `engine`; the same object on every call (its caches are shared). */
export function createCryptoProvider(engine: Engine): CryptoProvider {
  switch (engine) {
    case 'native':
      return (nativeProvider ??= createNativeCryptoProvider());
    case 'native-free':
      return nativeFreeCryptoProvider;
  }
}
