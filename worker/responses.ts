import { type Context } from "hono";
import type { LimiterConfig } from "./config";
import type {
  LimiterBindings,
  LimiterUnavailableError,
} from "./limiter-client";
import { logWarning } from "./log";
import { formatRateLimit } from "./rate-limit-headers";
import {
  isBlockDecision,
  type BlockDecision,
  type Decision,
} from "../durable-objects/protocol";

export type EdgeEnv = LimiterBindings & Record<string, unknown>;
export interface EdgeVariables {
  /** Id of this request in responses and logs, set for every `/send`. */
  requestId: string;
}
export type EdgeContext = Context<{
  Bindings: EdgeEnv;
  Variables: EdgeVariables;
}>;

/** Seconds a client is asked to wait when the limiter is unavailable. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 1;

/** Requests admitted without a decision because the limiter failed (FAIL_MODE=open). */
let failOpenCount = 0;

/** Returns how many requests this isolate admitted by failing open. */
export function getFailOpenCount(): number {
  return failOpenCount;
}

/** Sends a JSON rejection; every non-200 body has `admitted: false`. */
export function rejectJson(
  c: EdgeContext,
  status: 400 | 403 | 404 | 405 | 413 | 429 | 500 | 503,
  body: Record<string, unknown>,
): Response {
  const requestId = c.get("requestId");
  return c.json({ admitted: false, requestId, ...body }, status);
}

/** Header set when monitor mode lets through a request it would block. */
export const ANOMALY_VERDICT_HEADER = "x-anomaly-verdict";

function blockResponse(
  c: EdgeContext,
  requestId: string,
  decision: BlockDecision,
): Response {
  const body: Record<string, unknown> = {
    requestId,
    reason: decision.reason,
    message: decision.message,
  };
  if (decision.quarantinedUntil !== undefined) {
    body.quarantinedUntil = new Date(decision.quarantinedUntil).toISOString();
    body.retryAfterSeconds = decision.retryAfterSeconds;
    c.header("Retry-After", String(decision.retryAfterSeconds));
  }
  return rejectJson(c, 403, body);
}

/** Maps a coordinator decision to the HTTP response. */
export function decisionResponse(
  c: EdgeContext,
  requestId: string,
  decision: Decision,
): Response {
  if (isBlockDecision(decision)) return blockResponse(c, requestId, decision);

  c.header("RateLimit", formatRateLimit(decision.limits));
  if (decision.anomaly) {
    c.header(ANOMALY_VERDICT_HEADER, decision.anomaly.verdict);
  }
  if (decision.admitted) {
    return c.json({
      admitted: true,
      requestId,
      admittedAt: decision.admittedAt,
      limits: decision.limits,
      anomaly: decision.anomaly,
    });
  }

  c.header("Retry-After", String(decision.retryAfterSeconds));
  const scope =
    decision.reason === "session_limit" ? "this session" : "the service";
  return rejectJson(c, 429, {
    requestId,
    reason: decision.reason,
    retryAfterSeconds: decision.retryAfterSeconds,
    message: `rate limit of ${scope} exceeded; retry after ${decision.retryAfterSeconds} s`,
    limits: decision.limits,
    anomaly: decision.anomaly,
  });
}

/** Builds the response that FAIL_MODE prescribes when the coordinator could not decide. */
export function limiterFailureResponse(
  c: EdgeContext,
  config: LimiterConfig,
  requestId: string,
  error: LimiterUnavailableError,
): Response {
  if (config.failMode === "open") {
    failOpenCount++;
    logWarning("fail_open", {
      backend: config.backendName,
      requestId,
      error: error.message,
      failOpenCount,
    });
    return c.json({ admitted: true, requestId, failOpen: true });
  }

  logWarning("limiter_unavailable", {
    backend: config.backendName,
    requestId,
    error: error.message,
  });
  c.header("Retry-After", String(UNAVAILABLE_RETRY_AFTER_SECONDS));
  return rejectJson(c, 503, {
    requestId,
    reason: "limiter_unavailable",
    retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS,
    message: "the rate limiter is unavailable, so the request was not admitted",
  });
}

/** Names a decision for logs. */
export function describeOutcome(decision: Decision | undefined): string {
  if (!decision) return "unavailable";
  if (decision.admitted) return "admit";
  return isBlockDecision(decision) ? "block" : "reject";
}

/** Returns the window states a decision carries, if any. */
export function limitsOf(decision: Decision | undefined) {
  return decision && !isBlockDecision(decision) ? decision.limits : undefined;
}
