/**
 * Retry policy after a 429: wait and retry, give up, or stop because no
 * attempts are left.
 */
import type { SeededRandom } from "./seeded-random.ts";

/** Attempts per request, including the first one. */
export const MAX_ATTEMPTS_PER_REQUEST = 3;
/** One deadline covers all attempts of a request, including waits. */
export const REQUEST_DEADLINE_MS = 5_000;

/** Inputs of the decision after a 429 response. */
export interface RateLimitRetryInput {
  /** Zero-based number of the attempt that received the 429. */
  attemptIndex: number;
  /** Parsed `Retry-After` in seconds, or null when absent or invalid. */
  retryAfterSeconds: number | null;
  nowMs: number;
  deadlineMs: number;
  /**
   * Reproduce the published client: sleep the full wait even past the
   * deadline, and sleep after the last 429 too.
   */
  clientDefects: boolean;
  maxAttempts: number;
}

/** Decision after a 429 response. */
export type RetryDecision =
  | { action: "retry"; waitMs: number }
  | { action: "give_up"; waitMs: number }
  | { action: "exhausted"; waitMs: number };

/**
 * Computes the wait before the next attempt: `Retry-After` when present,
 * else 2^attemptIndex seconds plus up to 1 s of random jitter. The jitter
 * is drawn only when there is no `Retry-After`, as in the client.
 */
export function computeRetryWaitMs(
  attemptIndex: number,
  retryAfterSeconds: number | null,
  random: SeededRandom,
): number {
  if (retryAfterSeconds !== null) {
    return retryAfterSeconds * 1000;
  }
  const backoffSeconds = 2 ** attemptIndex + random.nextFloat();
  return backoffSeconds * 1000;
}

/**
 * Decides what follows a 429.
 *
 * By default the simulator waits only before another attempt, and gives up
 * when that wait would not end before the request deadline (`give_up`, with
 * the wait it skipped). With `clientDefects` it always sleeps the full wait, as
 * the published client does. The next attempt then fails with an exceeded
 * deadline when the sleep passed it.
 */
export function decideAfterRateLimit(
  input: RateLimitRetryInput,
  random: SeededRandom,
): RetryDecision {
  const isLastAttempt = input.attemptIndex + 1 >= input.maxAttempts;

  if (!input.clientDefects) {
    if (isLastAttempt) {
      return { action: "exhausted", waitMs: 0 };
    }
    const waitMs = computeRetryWaitMs(
      input.attemptIndex,
      input.retryAfterSeconds,
      random,
    );
    // A wait that ends at the deadline leaves no time for the attempt.
    if (input.nowMs + waitMs >= input.deadlineMs) {
      return { action: "give_up", waitMs };
    }
    return { action: "retry", waitMs };
  }

  const waitMs = computeRetryWaitMs(
    input.attemptIndex,
    input.retryAfterSeconds,
    random,
  );
  // NOTE: that the client also sleeps after its last 429 is inferred from
  // its description (sleep on every 429, then log the failure).
  return isLastAttempt
    ? { action: "exhausted", waitMs }
    : { action: "retry", waitMs };
}

/**
 * Parses a `Retry-After` value as a decimal number of seconds, as the
 * client does. Returns null for a missing, negative or non-numeric value,
 * which includes the HTTP-date form.
 */
export function parseRetryAfterSeconds(
  headerValue: string | null,
): number | null {
  if (headerValue === null || headerValue.trim() === "") {
    return null;
  }
  const seconds = Number(headerValue.trim());
  if (!Number.isFinite(seconds) || seconds < 0) {
    return null;
  }
  return seconds;
}
