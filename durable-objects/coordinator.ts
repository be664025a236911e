import { WorkerEntrypoint } from "cloudflare:workers";
import { configFromEnv, ConfigError } from "../worker/config";
import { parseIpAddress } from "../worker/ip-address";
import { findUserAgentProblem } from "../worker/send-request";
import { isValidSessionId } from "../worker/session-id";
import type { GlobalLimiter } from "./global-limiter";
import {
  CANCEL_PATH,
  DECIDE_PATH,
  READY_PATH,
  SECRET_HEADER,
  SESSIONS_PATH_PREFIX,
  type DecisionRequest,
} from "./protocol";
import { GLOBAL_LIMITER_NAME, type SessionGuard } from "./session-guard";
import { timingSafeEqualText } from "./secret";
import { guardObjectName } from "./guard-placement";

export interface CoordinatorEnv {
  SESSION_GUARD: DurableObjectNamespace<SessionGuard>;
  GLOBAL_LIMITER: DurableObjectNamespace<GlobalLimiter>;
  /** When set, every request must carry it in the x-coordinator-secret header. */
  COORDINATOR_SECRET?: string;
}

function jsonError(status: number, reason: string, message: string): Response {
  return Response.json({ reason, message }, { status });
}

/**
 * Tells whether `value` looks like the edge's request ids (UUIDs). The length
 * bound keeps the remembered cancellations small.
 */
function isValidRequestId(value: unknown): value is string {
  return typeof value === "string" && /^[A-Za-z0-9-]{1,64}$/.test(value);
}

function parseDecisionRequest(value: unknown): DecisionRequest | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { requestId, sessionId, ipAddress, userAgent } = value as Record<
    string,
    unknown
  >;
  if (
    !isValidRequestId(requestId) ||
    typeof sessionId !== "string" ||
    typeof ipAddress !== "string" ||
    typeof userAgent !== "string" ||
    !isValidSessionId(sessionId) ||
    userAgent === "" ||
    findUserAgentProblem(userAgent) !== undefined
  ) {
    return undefined;
  }
  // The edge sends the canonical form. Anything else would fail later in
  // the fingerprint and turn a bad request into a 500.
  const ip = parseIpAddress(ipAddress);
  if (!ip.ok || ip.address !== ipAddress) return undefined;
  return { requestId, sessionId, ipAddress, userAgent };
}

/**
 * The coordinator: routes each decision to the session's SessionGuard. It is
 * a named entrypoint, never the default export, so on Cloudflare it has no
 * public route and only the edge's service binding reaches it. Between
 * processes or containers it is plain HTTP, guarded by a shared secret.
 */
export class Coordinator extends WorkerEntrypoint<CoordinatorEnv> {
  /** The SessionGuard that owns `sessionId` under the configured sharding. */
  #guard(sessionId: string): DurableObjectStub<SessionGuard> {
    const { sessionShards } = configFromEnv(this.env);
    return this.env.SESSION_GUARD.getByName(
      guardObjectName(sessionId, sessionShards),
    );
  }

  override async fetch(request: Request): Promise<Response> {
    const secret = this.env.COORDINATOR_SECRET;
    if (secret) {
      const presented = request.headers.get(SECRET_HEADER) ?? "";
      if (!(await timingSafeEqualText(presented, secret))) {
        return jsonError(
          401,
          "unauthorized",
          "missing or wrong coordinator secret",
        );
      }
    }

    try {
      configFromEnv(this.env);
    } catch (error) {
      if (error instanceof ConfigError) {
        return jsonError(500, "invalid_config", error.message);
      }
      throw error;
    }

    const { pathname } = new URL(request.url);
    if (pathname === READY_PATH && request.method === "GET") {
      const global =
        await this.env.GLOBAL_LIMITER.getByName(GLOBAL_LIMITER_NAME).peek();
      return Response.json({
        ready: true,
        globalRemaining: global.status.remaining,
      });
    }
    if (pathname.startsWith(SESSIONS_PATH_PREFIX) && request.method === "GET") {
      let sessionId = "";
      try {
        sessionId = decodeURIComponent(
          pathname.slice(SESSIONS_PATH_PREFIX.length),
        );
      } catch {
        // Malformed percent-encoding falls through to the 400 below.
      }
      if (!isValidSessionId(sessionId)) {
        return jsonError(400, "invalid_request", "invalid session id");
      }
      return Response.json(await this.#guard(sessionId).inspect(sessionId));
    }
    if (pathname === CANCEL_PATH && request.method === "POST") {
      let cancel: { requestId?: unknown; sessionId?: unknown } = {};
      try {
        cancel = (await request.json()) as typeof cancel;
      } catch {
        // An unreadable body is rejected below.
      }
      const { requestId, sessionId } = cancel;
      if (
        !isValidRequestId(requestId) ||
        typeof sessionId !== "string" ||
        !isValidSessionId(sessionId)
      ) {
        return jsonError(
          400,
          "invalid_request",
          "body is not a valid cancel request",
        );
      }
      const guard = this.#guard(sessionId);
      return Response.json({
        released: await guard.cancel(sessionId, requestId),
      });
    }
    if (pathname !== DECIDE_PATH) {
      return jsonError(404, "not_found", `no coordinator route ${pathname}`);
    }
    if (request.method !== "POST") {
      return jsonError(405, "method_not_allowed", "use POST");
    }

    let decisionRequest: DecisionRequest | undefined;
    try {
      decisionRequest = parseDecisionRequest(await request.json());
    } catch {
      decisionRequest = undefined;
    }
    if (!decisionRequest) {
      return jsonError(
        400,
        "invalid_request",
        "body is not a valid decision request",
      );
    }

    const guard = this.#guard(decisionRequest.sessionId);
    const decision = await guard.decide(decisionRequest);
    if (!decision.admitted && decision.reason === "cancelled") {
      return jsonError(409, "cancelled", "the edge cancelled this request");
    }
    return Response.json(decision);
  }
}
