import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { configFromEnv, ConfigError, type LimiterConfig } from "./config";
import {
  checkCoordinatorReady,
  LimiterUnavailableError,
  requestDecision,
  type LimiterBindings,
} from "./limiter-client";
import { logEvent, logWarning } from "./log";
import { formatRateLimit, formatRateLimitPolicy } from "./rate-limit-headers";
import { validateSendHeaders } from "./send-request";
import {
  isBlockDecision,
  type BlockDecision,
  type Decision,
} from "../durable-objects/protocol";

export type EdgeEnv = LimiterBindings & Record<string, unknown>;
type EdgeContext = Context<{ Bindings: EdgeEnv }>;

/** Seconds a client is asked to wait when the limiter is unavailable. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 1;

/** Requests admitted without a decision because the limiter failed (FAIL_MODE=open). */
let failOpenCount = 0;

function rejectJson(
  c: EdgeContext,
  status: 400 | 403 | 404 | 405 | 413 | 429 | 500 | 503,
  body: Record<string, unknown>,
): Response {
  return c.json({ admitted: false, ...body }, status);
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

function decisionResponse(
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
  const scope = decision.reason === "session_limit" ? "this session" : "the service";
  return rejectJson(c, 429, {
    requestId,
    reason: decision.reason,
    retryAfterSeconds: decision.retryAfterSeconds,
    message: `rate limit of ${scope} exceeded; retry after ${decision.retryAfterSeconds} s`,
    limits: decision.limits,
    anomaly: decision.anomaly,
  });
}

function limiterFailureResponse(
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

function describeOutcome(decision: Decision | undefined): string {
  if (!decision) return "unavailable";
  if (decision.admitted) return "admit";
  return isBlockDecision(decision) ? "block" : "reject";
}

function limitsOf(decision: Decision | undefined) {
  return decision && !isBlockDecision(decision) ? decision.limits : undefined;
}

async function handleSend(c: EdgeContext): Promise<Response> {
  const startedMs = Date.now();
  const config = configFromEnv(c.env);
  const requestId = crypto.randomUUID();
  c.header("RateLimit-Policy", formatRateLimitPolicy(config));

  const validation = validateSendHeaders(c.req.raw.headers, config.clientIpHeader);
  if (!validation.ok) {
    const { header, reason, message } = validation.problem;
    logEvent("rejected_input", { backend: config.backendName, requestId, header, reason });
    return rejectJson(c, 400, { requestId, reason, header, message });
  }
  const { identity } = validation;

  let response: Response;
  let decision: Decision | undefined;
  try {
    decision = await requestDecision(
      c.env,
      { requestId, ...identity },
      config.coordinatorTimeoutMs,
    );
    response = decisionResponse(c, requestId, decision);
  } catch (error) {
    if (!(error instanceof LimiterUnavailableError)) throw error;
    response = limiterFailureResponse(c, config, requestId, error);
  }

  logEvent("decision", {
    backend: config.backendName,
    requestId,
    sessionId: identity.sessionId,
    status: response.status,
    decision: describeOutcome(decision),
    reason: decision && !decision.admitted ? decision.reason : null,
    anomaly: decision && !isBlockDecision(decision) ? decision.anomaly?.verdict : undefined,
    sessionRemaining: limitsOf(decision)?.session.remaining,
    globalRemaining: limitsOf(decision)?.global.remaining,
    latencyMs: Date.now() - startedMs,
  });
  return response;
}

/** Builds the public edge: `/send`, health and readiness. */
export function createApp(): Hono<{ Bindings: EdgeEnv }> {
  const app = new Hono<{ Bindings: EdgeEnv }>();

  app.get("/healthz", (c) => c.json({ status: "ok" }));

  app.get("/readyz", async (c) => {
    const config = configFromEnv(c.env);
    try {
      await checkCoordinatorReady(c.env, config.coordinatorTimeoutMs);
      return c.json({ status: "ready" });
    } catch (error) {
      if (!(error instanceof LimiterUnavailableError)) throw error;
      logWarning("not_ready", { backend: config.backendName, error: error.message });
      return c.json({ status: "unavailable", message: error.message }, 503);
    }
  });

  app.post(
    "/send",
    async (c, next) => {
      const { maxBodyBytes } = configFromEnv(c.env);
      const limit = bodyLimit({
        maxSize: maxBodyBytes,
        onError: (inner) =>
          rejectJson(inner as EdgeContext, 413, {
            reason: "body_too_large",
            message: `the request body is larger than ${maxBodyBytes} bytes`,
          }),
      });
      return limit(c, next);
    },
    handleSend,
  );

  app.options("/send", (c) => {
    c.header("Allow", "POST, OPTIONS");
    return c.body(null, 204);
  });

  app.all("/send", (c) => {
    c.header("Allow", "POST, OPTIONS");
    return rejectJson(c, 405, {
      reason: "method_not_allowed",
      message: `${c.req.method} is not allowed on /send; use POST`,
    });
  });

  app.notFound((c) =>
    rejectJson(c, 404, { reason: "not_found", message: `no route for ${c.req.path.slice(0, 200)}` }),
  );

  app.onError((error, c) => {
    if (error instanceof ConfigError) {
      logWarning("invalid_config", { error: error.message });
      return rejectJson(c, 500, { reason: "invalid_config", message: error.message });
    }
    logWarning("unhandled_error", { error: String(error) });
    return rejectJson(c, 500, { reason: "internal_error", message: "internal error" });
  });

  return app;
}
