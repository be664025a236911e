import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeRollingWindowMax } from "../../simulator/rolling-window.ts";

/** Reference implementation: count the window ending at every event. */
function computeRollingMaxByBruteForce(
  timestampsMs: readonly number[],
  windowMs: number,
): number {
  let maxCount = 0;
  for (const endMs of timestampsMs) {
    const count = timestampsMs.filter(
      (ms) => ms <= endMs && endMs - ms < windowMs,
    ).length;
    maxCount = Math.max(maxCount, count);
  }
  return maxCount;
}

describe("computeRollingWindowMax", () => {
  it("returns zero for no events", () => {
    expect(computeRollingWindowMax([], 1_000)).toEqual({
      maxCount: 0,
      windowStartMs: null,
    });
  });

  it("finds the busiest window in known timestamps", () => {
    const timestampsMs = [0, 900, 1_000, 1_050, 1_899, 3_000];
    const result = computeRollingWindowMax(timestampsMs, 1_000);
    // (899, 1899] contains 900, 1000, 1050 and 1899.
    expect(result.maxCount).toBe(4);
    expect(result.windowStartMs).toBe(900);
  });

  it("separates events exactly one window apart", () => {
    const result = computeRollingWindowMax([0, 1_000, 2_000], 1_000);
    expect(result.maxCount).toBe(1);
  });

  it("counts events just inside one window", () => {
    const result = computeRollingWindowMax([0, 999], 1_000);
    expect(result.maxCount).toBe(2);
  });

  it("sorts unsorted input without changing it", () => {
    const timestampsMs = [5_000, 10, 20, 4_990, 30];
    const result = computeRollingWindowMax(timestampsMs, 100);
    expect(result.maxCount).toBe(3);
    expect(result.windowStartMs).toBe(10);
    expect(timestampsMs).toEqual([5_000, 10, 20, 4_990, 30]);
  });

  it("counts equal timestamps together", () => {
    expect(computeRollingWindowMax([7, 7, 7], 1).maxCount).toBe(3);
  });

  it("rejects a window that is not positive", () => {
    expect(() => computeRollingWindowMax([1], 0)).toThrow(RangeError);
    expect(() => computeRollingWindowMax([1], Number.NaN)).toThrow(RangeError);
  });

  it("matches a brute-force count", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 3_000 }),
        (timestampsMs, windowMs) => {
          expect(computeRollingWindowMax(timestampsMs, windowMs).maxCount).toBe(
            computeRollingMaxByBruteForce(timestampsMs, windowMs),
          );
        },
      ),
    );
  });
});
