// The randomness a running chain draws its Raft election timeouts from: the
// OS's CSPRNG, so no two processes (nor two starts of one) share a sequence.
// Raft's liveness rests on peers drawing different timeouts; a generator
// seeded by the node id made every start draw the same ones, and two
// survivors of a leader crash campaigned within milliseconds of each other and
// split the vote. Tests and the simulator pass a seeded generator instead.

import { randomInt } from 'node:crypto';

/** randomInt's range must stay below 2^48. */
const RESOLUTION = 2 ** 47;

/** A uniform float in [0, 1), 47 bits of OS randomness. */
export function osRandom(): number {
  return randomInt(RESOLUTION) / RESOLUTION;
}
