/**
 * Seeded pseudo-random number generator for the traffic simulator.
 *
 * The generator is xoshiro128** (32-bit state words), seeded through a
 * SplitMix32 mixer so that nearby seeds and stream indexes start from
 * unrelated states. It is fast and reproducible, and it is not meant for
 * anything security-related.
 */

/** Random source that every random choice of the simulator draws from. */
export interface SeededRandom {
  /** Returns the next unsigned 32-bit integer. */
  nextUint32(): number;
  /** Returns a float in [0, 1). */
  nextFloat(): number;
  /** Returns an integer in [0, maxExclusive). */
  nextInt(maxExclusive: number): number;
  /** Returns true with the given probability (0 to 1). */
  nextChance(probability: number): boolean;
  /** Returns a uniformly chosen element of a non-empty array. */
  pickOne<T>(items: readonly T[]): T;
}

const TWO_POW_32 = 2 ** 32;
const GOLDEN_RATIO_32 = 0x9e3779b9;

function mixSplit32(state: number): number {
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return z >>> 0;
}

function rotateLeft32(value: number, bits: number): number {
  return ((value << bits) | (value >>> (32 - bits))) >>> 0;
}

/**
 * Creates a generator from a seed (a non-negative safe integer) and an
 * optional stream index. Each client loop uses its own stream, so the
 * choices of one client do not depend on how the loops interleave.
 */
export function createSeededRandom(
  seed: number,
  streamIndex = 0,
): SeededRandom {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`invalid seed ${seed}: expected a safe integer >= 0`);
  }
  if (!Number.isSafeInteger(streamIndex) || streamIndex < 0) {
    throw new RangeError(
      `invalid stream index ${streamIndex}: expected a safe integer >= 0`,
    );
  }

  // Absorb the low and high seed words and the stream index one at a time.
  let mixState = 0;
  const seedWords = [
    seed >>> 0,
    Math.floor(seed / TWO_POW_32) >>> 0,
    streamIndex >>> 0,
  ];
  for (const word of seedWords) {
    mixState = mixSplit32((mixState ^ word) + GOLDEN_RATIO_32);
  }

  const state = new Uint32Array(4);
  for (let i = 0; i < 4; i += 1) {
    mixState = (mixState + GOLDEN_RATIO_32) >>> 0;
    state[i] = mixSplit32(mixState);
  }
  // xoshiro must not start from the all-zero state.
  if (state.every((word) => word === 0)) {
    state[0] = 1;
  }

  const nextUint32 = (): number => {
    const s0 = state[0]!;
    const s1 = state[1]!;
    const result = Math.imul(rotateLeft32(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const shifted = (s1 << 9) >>> 0;
    state[2] = state[2]! ^ s0;
    state[3] = state[3]! ^ s1;
    state[1] = s1 ^ state[2]!;
    state[0] = s0 ^ state[3]!;
    state[2] = state[2]! ^ shifted;
    state[3] = rotateLeft32(state[3]!, 11);
    return result;
  };

  const nextFloat = (): number => nextUint32() / TWO_POW_32;

  const nextInt = (maxExclusive: number): number => {
    if (!Number.isInteger(maxExclusive) || maxExclusive <= 0) {
      throw new RangeError(
        `invalid bound ${maxExclusive}: expected an integer > 0`,
      );
    }
    return Math.floor(nextFloat() * maxExclusive);
  };

  return {
    nextUint32,
    nextFloat,
    nextInt,
    nextChance: (probability) => nextFloat() < probability,
    pickOne: <T>(items: readonly T[]): T => {
      if (items.length === 0) {
        throw new RangeError("cannot pick from an empty array");
      }
      return items[nextInt(items.length)]!;
    },
  };
}

/** Draws a fresh seed from the platform's cryptographic random source. */
export function drawRandomSeed(): number {
  const words = new Uint32Array(1);
  globalThis.crypto.getRandomValues(words);
  return words[0]!;
}
