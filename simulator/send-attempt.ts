/**
 * One HTTP attempt: `POST {server}/send` with the client's headers, using
 * Node's global fetch and a timeout equal to what is left of the request
 * deadline.
 */
import { parseRetryAfterSeconds } from "./retry-policy.ts";
import type { AttemptKind, AttemptRecord } from "./traffic-records.ts";

/** Inputs of one attempt. */
export interface AttemptInput {
  attemptIndex: number;
  serverUrl: string;
  sessionId: string;
  ipAddress: string;
  userAgent: string;
  body: Uint8Array;
  /** Time left until the request deadline; <= 0 fails at once. */
  timeoutMs: number;
  /** Aborts when the simulator stops. */
  stopSignal: AbortSignal;
}

/** Header that a server in monitor mode sets on requests it would block. */
export const ANOMALY_VERDICT_HEADER = "x-anomaly-verdict";
const WOULD_BLOCK_VERDICT = "would_block";

/** Maps an HTTP status to an attempt kind. */
export function classifyStatus(status: number): AttemptKind {
  if (status >= 200 && status < 300) {
    return "admitted";
  }
  if (status === 429) {
    return "rate_limited";
  }
  if (status === 403) {
    return "blocked";
  }
  if (status >= 500) {
    return "server_error";
  }
  return "rejected";
}

interface ParsedBody {
  reason: string | null;
  admittedAtMs: number | null;
}

function parseResponseBody(text: string): ParsedBody {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null) {
      return { reason: null, admittedAtMs: null };
    }
    const fields = parsed as Record<string, unknown>;
    const reason = typeof fields.reason === "string" ? fields.reason : null;
    const admittedAtMs =
      typeof fields.admittedAt === "number" &&
      Number.isFinite(fields.admittedAt)
        ? fields.admittedAt
        : null;
    return { reason, admittedAtMs };
  } catch {
    return { reason: null, admittedAtMs: null };
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    if (cause instanceof Error && cause.message !== "") {
      return `${error.message}: ${cause.message}`;
    }
    return error.message;
  }
  return String(error);
}

/**
 * Sends one attempt and classifies the result. Network errors, timeouts and
 * cancellation become records of their own kind instead of exceptions.
 */
export async function sendAttempt(input: AttemptInput): Promise<AttemptRecord> {
  const base = {
    attemptIndex: input.attemptIndex,
    serverUrl: input.serverUrl,
  };
  const failure = (kind: AttemptKind, errorMessage: string): AttemptRecord => ({
    ...base,
    kind,
    status: null,
    reason: null,
    admittedAtMs: null,
    receivedAtMs: Date.now(),
    retryAfterSeconds: null,
    wouldBlock: false,
    errorMessage,
  });

  if (input.stopSignal.aborted) {
    return failure("cancelled", "simulator stopping");
  }
  if (input.timeoutMs <= 0) {
    // The published client's context has expired, so the HTTP library fails
    // without sending anything.
    return failure("deadline_exceeded", "context deadline exceeded");
  }

  const timeoutSignal = AbortSignal.timeout(input.timeoutMs);
  const signal = AbortSignal.any([input.stopSignal, timeoutSignal]);

  let response: Response;
  let bodyText = "";
  try {
    response = await fetch(`${input.serverUrl}/send`, {
      method: "POST",
      headers: {
        "x-session-id": input.sessionId,
        "x-ip-address": input.ipAddress,
        "user-agent": input.userAgent,
      },
      body: input.body,
      signal,
    });
    bodyText = await response.text();
  } catch (error) {
    if (input.stopSignal.aborted) {
      return failure("cancelled", "simulator stopping");
    }
    if (timeoutSignal.aborted) {
      return failure("deadline_exceeded", "context deadline exceeded");
    }
    return failure("network_error", describeError(error));
  }

  const { reason, admittedAtMs } = parseResponseBody(bodyText);
  return {
    ...base,
    kind: classifyStatus(response.status),
    status: response.status,
    reason,
    admittedAtMs,
    receivedAtMs: Date.now(),
    retryAfterSeconds: parseRetryAfterSeconds(
      response.headers.get("retry-after"),
    ),
    wouldBlock:
      response.headers.get(ANOMALY_VERDICT_HEADER)?.trim().toLowerCase() ===
      WOULD_BLOCK_VERDICT,
    errorMessage: null,
  };
}
