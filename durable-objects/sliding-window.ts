/**
 * Sliding-log rate limit: the times of admitted requests, oldest first.
 *
 * A request admitted at `t` occupies a slot while `now < t + windowMs`, so in
 * any interval of `windowMs` at most `limit` requests are admitted. A log costs
 * at most `limit` numbers, which is cheap for the small limits used here and,
 * unlike fixed windows, allows no burst of twice the limit at a boundary.
 */

export interface WindowPolicy {
  limit: number;
  windowMs: number;
}

/** The state of one window at one moment, as reported to clients. */
export interface WindowStatus {
  limit: number;
  windowSeconds: number;
  /** Slots free now; never below zero. */
  remaining: number;
  /**
   * Whole seconds until one more slot frees (0 when the log is empty). When
   * `remaining` is 0 this is the honest wait before a retry can be admitted.
   */
  resetSeconds: number;
}

export interface WindowCheck {
  allowed: boolean;
  status: WindowStatus;
  /** Milliseconds until a request would be admitted; 0 when allowed now. */
  retryAfterMs: number;
}

/** Returns the entries of `log` still inside the window at `nowMs`. */
export function pruneLog(
  log: readonly number[],
  nowMs: number,
  windowMs: number,
): number[] {
  const cutoff = nowMs - windowMs;
  let first = 0;
  while (first < log.length && log[first]! <= cutoff) first++;
  return log.slice(first);
}

/** Converts milliseconds to whole seconds, rounding up so a wait is never short. */
export function toWholeSeconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}

/**
 * Checks whether one more request fits. `log` must already be pruned for
 * `nowMs` and sorted oldest first.
 */
export function checkWindow(
  log: readonly number[],
  nowMs: number,
  policy: WindowPolicy,
): WindowCheck {
  const used = log.length;
  const allowed = used < policy.limit;

  // With `used` entries the count drops below the limit once the entry at
  // index `used - limit` expires. A lowered limit can leave used > limit.
  const blockingEntry = allowed ? undefined : log[used - policy.limit];
  const retryAfterMs =
    blockingEntry === undefined ? 0 : blockingEntry + policy.windowMs - nowMs;
  const oldest = log[0];
  const nextFreeMs =
    oldest === undefined ? 0 : oldest + policy.windowMs - nowMs;

  return {
    allowed,
    retryAfterMs: Math.max(0, retryAfterMs),
    status: {
      limit: policy.limit,
      windowSeconds: Math.ceil(policy.windowMs / 1000),
      remaining: Math.max(0, policy.limit - used),
      resetSeconds: toWholeSeconds(allowed ? nextFreeMs : retryAfterMs),
    },
  };
}

/**
 * Returns the `Retry-After` value for a wait: whole seconds, at least 1.
 * Rounding up keeps it honest: after that many seconds the slot is free.
 */
export function toRetryAfterSeconds(waitMs: number): number {
  return Math.max(1, toWholeSeconds(waitMs));
}

/** Returns `log` with `atMs` inserted in order (entries are usually appended). */
export function insertEntry(log: readonly number[], atMs: number): number[] {
  const next = log.slice();
  let index = next.length;
  while (index > 0 && next[index - 1]! > atMs) index--;
  next.splice(index, 0, atMs);
  return next;
}

/** Returns `log` without one entry equal to `atMs` (a released reservation). */
export function removeEntry(log: readonly number[], atMs: number): number[] {
  const index = log.lastIndexOf(atMs);
  if (index === -1) return log.slice();
  return [...log.slice(0, index), ...log.slice(index + 1)];
}
