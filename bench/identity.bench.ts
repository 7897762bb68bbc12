// Per-envelope work on the worker's hot path besides the curve math: the
// accepted-creator cache lookup and the signature's DER acceptance check.
// Figures for a cache hit through IdentityValidator.validate, for the key
// lookup alone under the previous scheme (a ~1 KiB latin1 string built per
// envelope) beside the current one (creators cycled, and one creator repeated
// as in a client's burst, answered by the most recent slot without a digest), and for the P-256 signature acceptance
// rule (strict DER, r and s in range, low-S) through bigints and on the bytes.
//
//   npm run bench:identity [-- --time-ms=1000]
//
// Main thread, one core; a hit never calls the crypto engine, so the engine
// does not matter here. Figures depend on machine load, printed with them.

import { Bench } from 'tinybench';
import { DevOrganization } from '../src/crypto/index.js';
import { BytesKeyedLru } from '../src/crypto/index.js';
import { IdentityValidator, type SerializedIdentityInput } from '../src/crypto/index.js';
import { LruCache } from '../src/crypto/index.js';
import { createCryptoProvider } from '../src/crypto/index.js';
import { isAcceptableP256Signature } from '../src/crypto/index.js';
import { acceptableSignature } from '../src/crypto/index.js';
import { numberFlag } from './lib/flags.js';
import { describeMachine } from './lib/machine.js';

const TIME_MS_DEFAULT = 1000;
/** Distinct creators cycled through, as envelopes from several clients would be. */
const CREATORS = 16;

/** Each creator's bytes in a fresh buffer per "envelope", as decoded envelopes hand them over. */
function envelopeCopies(creators: readonly SerializedIdentityInput[]): SerializedIdentityInput[] {
  return creators.map((c) => {
    const envelope = new Uint8Array(c.idBytes.length + 64);
    envelope.set(c.idBytes, 37); // an unaligned view into a larger buffer, like a field of an envelope
    return { mspId: c.mspId, idBytes: envelope.subarray(37, 37 + c.idBytes.length) };
  });
}

/** The key the cache used before: length-prefixed mspId and the bytes as a latin1 string. */
function latin1Key(identity: SerializedIdentityInput): string {
  const bytes = identity.idBytes;
  return `${identity.mspId.length}:${identity.mspId}\n${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')}`;
}

async function main(): Promise<void> {
  const timeMs = numberFlag('time-ms', { fallback: TIME_MS_DEFAULT, min: 50, max: 10_000 });
  const org = new DevOrganization({ mspId: 'Org1MSP', algorithm: 'ecdsa-p256', provider: createCryptoProvider('native') });
  const creators = envelopeCopies(Array.from({ length: CREATORS }, (_, i) => org.issueMember(`User${i}`)));
  const now = new Date();
  const validator = new IdentityValidator({ engine: 'native', organizations: [org.config] });
  for (const c of creators) validator.validate(c, now); // the steady state is a hit

  const byString = new LruCache<string, number>(10_000);
  creators.forEach((c, i) => byString.set(latin1Key(c), i));
  const byDigest = new BytesKeyedLru<number>(10_000);
  creators.forEach((c, i) => byDigest.set(c.mspId, c.idBytes, i));

  const bench = new Bench({ time: timeMs, warmupTime: Math.min(200, timeMs / 4) });
  let i = 0;
  bench.add('IdentityValidator.validate, cache hit', () => {
    validator.validate(creators[i++ % CREATORS]!, now);
  });
  bench.add('key lookup only: latin1 string key (previous scheme)', () => {
    if (byString.get(latin1Key(creators[i++ % CREATORS]!)) === undefined) throw new Error('baseline cache missed');
  });
  bench.add('key lookup only: digest + full-bytes equality (BytesKeyedLru, current)', () => {
    const c = creators[i++ % CREATORS]!;
    if (byDigest.get(c.mspId, c.idBytes) === undefined) throw new Error('digest cache missed');
  });
  bench.add('key lookup only: the same creator again, a client burst (BytesKeyedLru, its most recent slot)', () => {
    i++;
    if (byDigest.get(creators[0]!.mspId, creators[0]!.idBytes) === undefined) throw new Error('digest cache missed');
  });
  bench.add('IdentityValidator.validate, cache hit, the same creator again', () => {
    i++;
    validator.validate(creators[0]!, now);
  });
  const signer = createCryptoProvider('native').generateSigner('ecdsa-p256');
  const signatures = Array.from({ length: CREATORS }, (_, k) => signer.sign(new Uint8Array(1024).fill(k)));
  bench.add('acceptableSignature(ecdsa-p256), DER check before verify', () => {
    if (acceptableSignature('ecdsa-p256', signatures[i++ % CREATORS]!) === undefined) throw new Error('signature refused');
  });
  bench.add('isAcceptableP256Signature, the same rule on the bytes (native verifier)', () => {
    if (!isAcceptableP256Signature(signatures[i++ % CREATORS]!)) throw new Error('signature refused');
  });
  await bench.run();

  console.log(`machine: ${describeMachine()} (other processes depress these figures)`);
  console.log(`${CREATORS} creators of ~${creators[0]!.idBytes.length} bytes cycled, ${timeMs} ms per task\n`);
  console.table(
    bench.tasks.map((task) => {
      const result = task.result;
      if (result.state !== 'completed') throw new Error(`task ${task.name} ended ${result.state}`);
      return {
        task: task.name,
        'ops/s': Math.round(result.throughput.mean).toLocaleString('en-US'),
        'mean ns': Math.round(result.latency.mean * 1e6),
        'p50 ns': Math.round(result.latency.p50 * 1e6),
      };
    }),
  );
}

await main();
