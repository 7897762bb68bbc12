// Seeded PRNG so that a Raft group is deterministic for a given input
// sequence (the simulator replays failures from a seed). mulberry32: tiny,
// fast, good enough for picking election timeouts; not for cryptography.

/** Returns a generator of floats in [0, 1) fully determined by `seed`. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n), from a generator of floats in [0, 1). */
export function randomIntBelow(random: () => number, n: number): number {
  const r = random();
  const v = Math.floor(r * n);
  // A custom generator returning exactly 1 would overflow the range.
  return v >= n ? n - 1 : v;
}
