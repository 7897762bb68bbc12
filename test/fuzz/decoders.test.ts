// Every decoder that takes bytes from outside either decodes or refuses with
// its layer's typed error — never another exception — on real valid inputs
// mutated (bit flips, byte changes, truncation, insertion, deletion,
// duplication, corrupted length fields) and on random bytes. A certificate
// the X.509 reader accepts is one OpenSSL reads too. Quick runs here;
// `npm run fuzz` runs the same targets for millions of inputs.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LENGTH_VALUES, mutate, type Mutation } from '../../scripts/fuzz/mutate.js';
import { buildTargets, isAllowed, type FuzzTarget } from '../../scripts/fuzz/targets.js';

const RUNS_PER_TARGET = 300;

const at = fc.nat({ max: 1 << 20 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at, value: fc.oneof(fc.constantFrom(0x00, 0x7f, 0x80, 0xff), fc.nat({ max: 255 })) }),
  fc.record({ op: fc.constant('truncate' as const), at }),
  fc.record({ op: fc.constant('insert' as const), at, bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('delete' as const), at, length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ op: fc.constant('duplicate' as const), at, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant('length' as const), field: fc.nat({ max: 1 << 16 }), value: fc.oneof(fc.constantFrom(...LENGTH_VALUES), fc.nat({ max: 4096 })) }),
);

/** A mutated seed (nine times in ten) or random bytes. */
function inputOf(target: FuzzTarget): fc.Arbitrary<Uint8Array> {
  const mutated = fc
    .record({ seed: fc.nat({ max: target.seeds.length - 1 }), mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }) })
    .map(({ seed, mutations }) => mutate(target.seeds[seed]!, mutations, target.format));
  return fc.oneof({ weight: 9, arbitrary: mutated }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }) });
}

/** Undefined when `target` decodes `bytes` or refuses them with an allowed error; else the unexpected error. */
async function unexpectedError(target: FuzzTarget, bytes: Uint8Array): Promise<unknown> {
  try {
    await target.run(bytes);
    return undefined;
  } catch (error) {
    return isAllowed(target, error) ? undefined : error;
  }
}

describe('decoders of outside bytes: decode, or refuse with their layer’s typed error', () => {
  const targets = buildTargets();

  it.each(targets.map((t) => [t.name, t] as const))('%s', async (_name, target) => {
    // The unmutated inputs are answered without a defect too.
    for (const seed of target.seeds) expect(await unexpectedError(target, seed)).toBeUndefined();
    await fc.assert(
      fc.asyncProperty(inputOf(target), async (bytes) => {
        const error = await unexpectedError(target, bytes);
        if (error !== undefined) throw error;
      }),
      { numRuns: RUNS_PER_TARGET },
    );
  });
});
