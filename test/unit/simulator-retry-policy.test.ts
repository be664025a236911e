import { describe, expect, it } from "vitest";
import {
  computeRetryWaitMs,
  decideAfterRateLimit,
  parseRetryAfterSeconds,
  type RateLimitRetryInput,
} from "../../simulator/retry-policy.ts";
import { createSeededRandom } from "../../simulator/seeded-random.ts";

const BASE_INPUT: RateLimitRetryInput = {
  attemptIndex: 0,
  retryAfterSeconds: 2,
  nowMs: 1_000,
  deadlineMs: 5_000,
  clientDefects: false,
  maxAttempts: 3,
};

describe("parseRetryAfterSeconds", () => {
  it("parses whole and decimal seconds", () => {
    expect(parseRetryAfterSeconds("3")).toBe(3);
    expect(parseRetryAfterSeconds(" 1.5 ")).toBe(1.5);
    expect(parseRetryAfterSeconds("0")).toBe(0);
  });

  it("returns null for missing or invalid values", () => {
    expect(parseRetryAfterSeconds(null)).toBeNull();
    expect(parseRetryAfterSeconds("")).toBeNull();
    expect(parseRetryAfterSeconds("-1")).toBeNull();
    expect(parseRetryAfterSeconds("soon")).toBeNull();
    expect(parseRetryAfterSeconds("Wed, 21 Oct 2015 07:28:00 GMT")).toBeNull();
  });
});

describe("computeRetryWaitMs", () => {
  it("uses Retry-After when present", () => {
    expect(computeRetryWaitMs(2, 1.25, createSeededRandom(1))).toBe(1_250);
  });

  it("backs off 2^attempt seconds plus jitter", () => {
    const random = createSeededRandom(1);
    for (const attemptIndex of [0, 1, 2]) {
      const waitMs = computeRetryWaitMs(attemptIndex, null, random);
      expect(waitMs).toBeGreaterThanOrEqual(2 ** attemptIndex * 1_000);
      expect(waitMs).toBeLessThan(2 ** attemptIndex * 1_000 + 1_000);
    }
  });
});

describe("decideAfterRateLimit", () => {
  const random = createSeededRandom(2);

  it("retries when the wait ends before the deadline", () => {
    expect(decideAfterRateLimit(BASE_INPUT, random)).toEqual({
      action: "retry",
      waitMs: 2_000,
    });
  });

  it("gives up when the wait ends at the deadline", () => {
    const input = { ...BASE_INPUT, retryAfterSeconds: 4 };
    expect(decideAfterRateLimit(input, random).action).toBe("give_up");
  });

  it("retries when the wait ends just before the deadline", () => {
    const input = { ...BASE_INPUT, retryAfterSeconds: 3.999 };
    expect(decideAfterRateLimit(input, random).action).toBe("retry");
  });

  it("gives up when the wait would pass the deadline", () => {
    const input = { ...BASE_INPUT, retryAfterSeconds: 60 };
    expect(decideAfterRateLimit(input, random)).toEqual({
      action: "give_up",
      waitMs: 60_000,
    });
  });

  it("stops without waiting after the last attempt", () => {
    const input = { ...BASE_INPUT, attemptIndex: 2 };
    expect(decideAfterRateLimit(input, random)).toEqual({
      action: "exhausted",
      waitMs: 0,
    });
  });

  it("sleeps past the deadline with client defects", () => {
    const input = { ...BASE_INPUT, retryAfterSeconds: 60, clientDefects: true };
    expect(decideAfterRateLimit(input, random)).toEqual({
      action: "retry",
      waitMs: 60_000,
    });
  });

  it("sleeps after the last 429 with client defects", () => {
    const input = { ...BASE_INPUT, attemptIndex: 2, clientDefects: true };
    expect(decideAfterRateLimit(input, random)).toEqual({
      action: "exhausted",
      waitMs: 2_000,
    });
  });
});
