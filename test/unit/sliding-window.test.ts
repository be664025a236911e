import { describe, expect, it } from "vitest";
import {
  checkWindow,
  insertEntry,
  pruneLog,
  removeEntry,
  toRetryAfterSeconds,
} from "../../durable-objects/sliding-window";

const policy = { limit: 5, windowMs: 60_000 };

function logOf(...times: number[]): number[] {
  return times.slice().sort((a, b) => a - b);
}

describe("pruneLog", () => {
  it("keeps entries younger than the window", () => {
    expect(pruneLog([0, 1_000, 59_999], 60_000, 60_000)).toEqual([
      1_000, 59_999,
    ]);
  });

  it("drops an entry exactly one window old", () => {
    expect(pruneLog([0], 60_000, 60_000)).toEqual([]);
    expect(pruneLog([0], 59_999, 60_000)).toEqual([0]);
  });
});

describe("checkWindow", () => {
  it("allows until the limit is reached", () => {
    const check = checkWindow(logOf(0, 1, 2, 3), 10, policy);
    expect(check.allowed).toBe(true);
    expect(check.retryAfterMs).toBe(0);
    expect(check.status.remaining).toBe(1);
  });

  it("rejects the sixth request in a window", () => {
    const check = checkWindow(logOf(0, 100, 200, 300, 400), 500, policy);
    expect(check.allowed).toBe(false);
    expect(check.status.remaining).toBe(0);
    expect(check.retryAfterMs).toBe(59_500);
  });

  it("waits for the oldest entry to leave", () => {
    const check = checkWindow(logOf(0, 0, 0, 0, 0), 59_700, policy);
    expect(check.retryAfterMs).toBe(300);
    expect(toRetryAfterSeconds(check.retryAfterMs)).toBe(1);
  });

  it("counts a lowered limit from the right entry", () => {
    const lowered = { limit: 2, windowMs: 60_000 };
    const check = checkWindow(
      logOf(0, 10_000, 20_000, 30_000),
      40_000,
      lowered,
    );
    expect(check.allowed).toBe(false);
    // Three entries must leave before a third request fits: the one at 20 s.
    expect(check.retryAfterMs).toBe(40_000);
  });

  it("reports reset as the wait for the next free slot", () => {
    const check = checkWindow(logOf(30_000), 45_000, policy);
    expect(check.status.resetSeconds).toBe(45);
    expect(checkWindow([], 0, policy).status.resetSeconds).toBe(0);
  });

  it("admits a retry after exactly retryAfter seconds", () => {
    for (const firstAt of [0, 1, 499, 999, 12_345]) {
      const log = logOf(
        firstAt,
        firstAt + 5,
        firstAt + 9,
        firstAt + 20,
        firstAt + 40,
      );
      const checkedAt = firstAt + 41;
      const rejected = checkWindow(log, checkedAt, policy);
      expect(rejected.allowed).toBe(false);

      const retryAt =
        checkedAt + toRetryAfterSeconds(rejected.retryAfterMs) * 1000;
      const retried = checkWindow(
        pruneLog(log, retryAt, policy.windowMs),
        retryAt,
        policy,
      );
      expect(retried.allowed).toBe(true);
    }
  });
});

describe("toRetryAfterSeconds", () => {
  it("rounds up and never returns less than one", () => {
    expect(toRetryAfterSeconds(0)).toBe(1);
    expect(toRetryAfterSeconds(1)).toBe(1);
    expect(toRetryAfterSeconds(1_000)).toBe(1);
    expect(toRetryAfterSeconds(1_001)).toBe(2);
    expect(toRetryAfterSeconds(59_999)).toBe(60);
  });
});

describe("insertEntry and removeEntry", () => {
  it("keeps the log sorted", () => {
    expect(insertEntry([1, 5, 9], 6)).toEqual([1, 5, 6, 9]);
    expect(insertEntry([1, 5], 7)).toEqual([1, 5, 7]);
  });

  it("removes one reservation only", () => {
    expect(removeEntry([1, 5, 5, 9], 5)).toEqual([1, 5, 9]);
    expect(removeEntry([1, 9], 5)).toEqual([1, 9]);
  });
});
