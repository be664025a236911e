/**
 * Sleeps for `durationMs`, or less when `signal` aborts first. Resolves to
 * true when the full duration passed, false when the signal cut it short.
 */
export function sleepUnlessAborted(
  durationMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  if (signal.aborted) {
    return Promise.resolve(false);
  }
  if (durationMs <= 0) {
    return Promise.resolve(true);
  }
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, durationMs);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
