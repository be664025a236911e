/**
 * Maximum number of events inside any rolling time window.
 */

/** Maximum count and where the busiest window starts. */
export interface RollingWindowMax {
  maxCount: number;
  /** Timestamp of the first event in the busiest window, or null if none. */
  windowStartMs: number | null;
}

/**
 * Computes the maximum number of timestamps that fall inside any half-open
 * window `(t - windowMs, t]`. Two events exactly `windowMs` apart are never
 * in the same window, which matches a sliding-log limiter that drops an
 * entry once it is `windowMs` old.
 *
 * Sorts a copy of the input, then sweeps it with two pointers: O(n log n).
 */
export function computeRollingWindowMax(
  timestampsMs: readonly number[],
  windowMs: number,
): RollingWindowMax {
  if (!(windowMs > 0) || !Number.isFinite(windowMs)) {
    throw new RangeError(`invalid window ${windowMs} ms: expected > 0`);
  }

  const sorted = [...timestampsMs].sort((a, b) => a - b);
  let maxCount = 0;
  let windowStartMs: number | null = null;
  let left = 0;

  for (let right = 0; right < sorted.length; right += 1) {
    const rightMs = sorted[right]!;
    while (rightMs - sorted[left]! >= windowMs) {
      left += 1;
    }
    const count = right - left + 1;
    if (count > maxCount) {
      maxCount = count;
      windowStartMs = sorted[left]!;
    }
  }

  return { maxCount, windowStartMs };
}
