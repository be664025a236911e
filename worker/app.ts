import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { configFromEnv, ConfigError, type LimiterConfig } from "./config";
import {
  cancelDecision,
  checkCoordinatorReady,
  LimiterUnavailableError,
  requestDecision,
} from "./limiter-client";
import { logEvent, logWarning } from "./log";
import { formatRateLimitPolicy } from "./rate-limit-headers";
import {
  decisionResponse,
  describeOutcome,
  getFailOpenCount,
  limiterFailureResponse,
  limitsOf,
  rejectJson,
  type EdgeContext,
  type EdgeEnv,
  type EdgeVariables,
} from "./responses";

type EdgeSchema = { Bindings: EdgeEnv; Variables: EdgeVariables };
import { validateSendHeaders } from "./send-request";
import { isBlockDecision, type Decision } from "../durable-objects/protocol";

/** Cancels a request's possible admission, logging the outcome. */
async function cancelAfterFailure(
  c: EdgeContext,
  config: LimiterConfig,
  requestId: string,
  sessionId: string,
): Promise<void> {
  try {
    const released = await cancelDecision(
      c.env,
      { requestId, sessionId },
      // A cancellation matters more than speed, so it may take longer.
      config.coordinatorTimeoutMs * 4,
    );
    logEvent("cancelled", {
      backend: config.backendName,
      requestId,
      sessionId,
      released,
    });
  } catch (error) {
    logWarning("cancel_failed", {
      backend: config.backendName,
      requestId,
      sessionId,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

async function handleSend(c: EdgeContext): Promise<Response> {
  const startedMs = Date.now();
  const config = configFromEnv(c.env);
  const requestId = c.get("requestId");

  const validation = validateSendHeaders(
    c.req.raw.headers,
    config.clientIpHeader,
  );
  if (!validation.ok) {
    const { header, reason, message } = validation.problem;
    logEvent("rejected_input", {
      backend: config.backendName,
      requestId,
      header,
      reason,
    });
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
    if (config.failMode === "closed") {
      // The coordinator may still admit the request after the timeout. The
      // client received a 503, so the quota must be given back.
      c.executionCtx.waitUntil(
        cancelAfterFailure(c, config, requestId, identity.sessionId),
      );
    }
  }

  logEvent("decision", {
    backend: config.backendName,
    requestId,
    sessionId: identity.sessionId,
    status: response.status,
    decision: describeOutcome(decision),
    reason: decision && !decision.admitted ? decision.reason : null,
    admittedAt: decision?.admitted ? decision.admittedAt : undefined,
    anomaly:
      decision && !isBlockDecision(decision)
        ? decision.anomaly?.verdict
        : undefined,
    sessionRemaining: limitsOf(decision)?.session.remaining,
    globalRemaining: limitsOf(decision)?.global.remaining,
    latencyMs: Date.now() - startedMs,
  });
  return response;
}

/** Builds the public edge: `/send`, health and readiness. */
export function createApp(): Hono<EdgeSchema> {
  const app = new Hono<EdgeSchema>();

  app.get("/healthz", (c) =>
    c.json({ status: "ok", failOpenCount: getFailOpenCount() }),
  );

  app.get("/readyz", async (c) => {
    const config = configFromEnv(c.env);
    try {
      await checkCoordinatorReady(c.env, config.coordinatorTimeoutMs);
      return c.json({ status: "ready" });
    } catch (error) {
      if (!(error instanceof LimiterUnavailableError)) throw error;
      logWarning("not_ready", {
        backend: config.backendName,
        error: error.message,
      });
      return c.json({ status: "unavailable", message: error.message }, 503);
    }
  });

  // Every /send response carries a request id and names the policies,
  // whatever its status.
  app.use("/send", async (c, next) => {
    c.set("requestId", crypto.randomUUID());
    await next();
    c.res.headers.set(
      "RateLimit-Policy",
      formatRateLimitPolicy(configFromEnv(c.env)),
    );
  });

  app.post("/send", async (c) => {
    const config = configFromEnv(c.env);
    const limit = bodyLimit({
      maxSize: config.maxBodyBytes,
      onError: (inner) =>
        rejectJson(inner as EdgeContext, 413, {
          reason: "body_too_large",
          message: `the request body is larger than ${config.maxBodyBytes} bytes`,
        }),
    });

    // bodyLimit reads a chunked body to measure it; broken framing or a
    // client that disconnects makes that read throw.
    let withinLimit = false;
    try {
      const tooLarge = await limit(c, async () => {
        withinLimit = true;
      });
      if (!withinLimit) return tooLarge ?? c.res;
    } catch (error) {
      logEvent("rejected_input", {
        backend: config.backendName,
        requestId: c.get("requestId"),
        reason: "invalid_body",
        error: error instanceof Error ? error.message : String(error),
      });
      return rejectJson(c, 400, {
        reason: "invalid_body",
        message: "the request body could not be read; check its framing",
      });
    }
    return handleSend(c);
  });

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
    rejectJson(c, 404, {
      reason: "not_found",
      message: `no route for ${c.req.path.slice(0, 200)}`,
    }),
  );

  app.onError((error, c) => {
    if (error instanceof ConfigError) {
      logWarning("invalid_config", { error: error.message });
      return rejectJson(c, 500, {
        reason: "invalid_config",
        message: error.message,
      });
    }
    logWarning("unhandled_error", { error: String(error) });
    return rejectJson(c, 500, {
      reason: "internal_error",
      message: "internal error",
    });
  });

  return app;
}
