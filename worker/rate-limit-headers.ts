import type { LimiterConfig } from "./config";
import type { LimitsSnapshot } from "../durable-objects/protocol";

/**
 * Builds the `RateLimit-Policy` field (IETF httpapi ratelimit-headers draft,
 * structured-field syntax): one named policy per window with its quota `q`
 * and window `w` in seconds.
 */
export function formatRateLimitPolicy(config: LimiterConfig): string {
  return [
    `"session";q=${config.sessionLimit};w=${config.sessionWindowSeconds}`,
    `"global";q=${config.globalLimit};w=${config.globalWindowSeconds}`,
  ].join(", ");
}

/**
 * Builds the `RateLimit` field: remaining units `r` and seconds `t` until one
 * more unit frees for each policy. With a sliding log a unit frees when the
 * oldest admission leaves the window, so `t` is that wait.
 */
export function formatRateLimit(limits: LimitsSnapshot): string {
  const { session, global } = limits;
  return [
    `"session";r=${session.remaining};t=${session.resetSeconds}`,
    `"global";r=${global.remaining};t=${global.resetSeconds}`,
  ].join(", ");
}
