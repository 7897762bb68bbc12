// The long decoder fuzzing loop of scripts/fuzz.ts: inputs drawn from a seeded
// generator (a mutated seed, or random bytes one time in ten), spread evenly
// over the targets, each answered by decoding or by one of the target's typed
// errors. Anything else is a defect, recorded with what reproduces it.

import { isAllowed, type FuzzTarget } from './targets.js';
import { mutate, randomMutations, type Mutation, type Random } from './mutate.js';

export interface TargetFigures {
  readonly name: string;
  readonly layer: string;
  inputs: number;
  decoded: number;
  refused: number;
  defects: number;
  cpuMicros: number;
}

export interface Defect {
  readonly target: string;
  /** Index of the seed mutated, or -1 for random bytes. */
  readonly seed: number;
  readonly mutations: readonly Mutation[];
  readonly input: string;
  readonly error: string;
}

export interface DecoderRun {
  readonly figures: TargetFigures[];
  readonly defects: Defect[];
}

const RANDOM_BYTES_MAX = 512;
const DEFECTS_KEPT_MAX = 20;

/** One input for `target`: a seed with mutations (seed >= 0) or random bytes (seed -1). */
export function drawInput(target: FuzzTarget, random: Random): { seed: number; mutations: Mutation[]; bytes: Uint8Array } {
  if (random.int(10) === 0) {
    const bytes = Uint8Array.from({ length: random.int(RANDOM_BYTES_MAX) }, () => random.int(256));
    return { seed: -1, mutations: [], bytes };
  }
  const seed = random.int(target.seeds.length);
  const mutations = randomMutations(random);
  return { seed, mutations, bytes: mutate(target.seeds[seed]!, mutations, target.format) };
}

/** Runs `inputs` inputs over `targets`; `onProgress` is called every `progressEvery` inputs. */
export async function runDecoders(
  targets: readonly FuzzTarget[],
  inputs: number,
  random: Random,
  onProgress: (done: number) => void = () => undefined,
  progressEvery = 100_000,
): Promise<DecoderRun> {
  const figures: TargetFigures[] = targets.map((t) => ({ name: t.name, layer: t.layer, inputs: 0, decoded: 0, refused: 0, defects: 0, cpuMicros: 0 }));
  const defects: Defect[] = [];
  // Batches per target keep the CPU accounting per target cheap (one cpuUsage call per batch).
  const batch = Math.max(1, Math.min(1000, Math.floor(inputs / targets.length)));
  for (let done = 0; done < inputs; ) {
    for (let t = 0; t < targets.length && done < inputs; t++) {
      const target = targets[t]!;
      const figure = figures[t]!;
      const count = Math.min(batch, inputs - done);
      const started = process.cpuUsage();
      for (let i = 0; i < count; i++) {
        const input = drawInput(target, random);
        try {
          const pending = target.run(input.bytes);
          if (pending !== undefined) await pending;
          figure.decoded++;
        } catch (error) {
          if (isAllowed(target, error)) {
            figure.refused++;
          } else {
            figure.defects++;
            if (defects.length < DEFECTS_KEPT_MAX) {
              defects.push({
                target: target.name,
                seed: input.seed,
                mutations: input.mutations,
                input: Buffer.from(input.bytes).toString('base64'),
                error: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack?.split('\n').slice(1, 4).join('\n')}` : String(error),
              });
            }
          }
        }
      }
      const used = process.cpuUsage(started);
      figure.cpuMicros += used.user + used.system;
      figure.inputs += count;
      const before = done;
      done += count;
      if (Math.floor(done / progressEvery) > Math.floor(before / progressEvery)) onProgress(done);
    }
  }
  return { figures, defects };
}
