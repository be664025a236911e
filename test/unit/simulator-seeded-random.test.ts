import { describe, expect, it } from "vitest";
import { createSeededRandom } from "../../simulator/seeded-random.ts";

function drawUint32s(seed: number, stream: number, count: number): number[] {
  const random = createSeededRandom(seed, stream);
  return Array.from({ length: count }, () => random.nextUint32());
}

describe("createSeededRandom", () => {
  it("repeats the sequence for one seed", () => {
    expect(drawUint32s(42, 0, 100)).toEqual(drawUint32s(42, 0, 100));
  });

  it("differs between seeds", () => {
    expect(drawUint32s(42, 0, 10)).not.toEqual(drawUint32s(43, 0, 10));
  });

  it("differs between streams of one seed", () => {
    expect(drawUint32s(42, 0, 10)).not.toEqual(drawUint32s(42, 1, 10));
  });

  it("uses the high word of large seeds", () => {
    const high = 2 ** 32;
    expect(drawUint32s(high + 5, 0, 10)).not.toEqual(drawUint32s(5, 0, 10));
  });

  it("keeps floats in [0, 1) with a uniform mean", () => {
    const random = createSeededRandom(7);
    const count = 20_000;
    const values = Array.from({ length: count }, () => random.nextFloat());
    const sum = values.reduce((total, value) => total + value, 0);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(sum / count).toBeGreaterThan(0.48);
    expect(sum / count).toBeLessThan(0.52);
  });

  it("covers every integer below the bound", () => {
    const random = createSeededRandom(11);
    const values = Array.from({ length: 5_000 }, () => random.nextInt(255));
    expect(values.every(Number.isInteger)).toBe(true);
    expect(Math.min(...values)).toBe(0);
    expect(Math.max(...values)).toBe(254);
    expect(new Set(values).size).toBe(255);
  });

  it("rejects invalid seeds and bounds", () => {
    expect(() => createSeededRandom(-1)).toThrow(RangeError);
    expect(() => createSeededRandom(1.5)).toThrow(RangeError);
    expect(() => createSeededRandom(1).nextInt(0)).toThrow(RangeError);
    expect(() => createSeededRandom(1).pickOne([])).toThrow(RangeError);
  });
});
