/**
 * Messages between the edge and the coordinator. The edge sends a
 * DecisionRequest as JSON to `POST /v1/decide` through the `LIMITER` binding
 * and receives a Decision.
 */
import type { WindowStatus } from "./sliding-window";

export const DECIDE_PATH = "/v1/decide";
export const READY_PATH = "/v1/ready";

/** Header carrying the shared secret between edge and coordinator. */
export const SECRET_HEADER = "x-coordinator-secret";

export interface DecisionRequest {
  requestId: string;
  sessionId: string;
  /** Canonical text of the client address (IPv4-mapped IPv6 as IPv4). */
  ipAddress: string;
  userAgent: string;
}

export type RejectReason = "session_limit" | "global_limit";

export interface LimitsSnapshot {
  session: WindowStatus;
  global: WindowStatus;
}

export interface AdmitDecision {
  admitted: true;
  /** Epoch milliseconds of the admission, on the global limiter's clock. */
  admittedAt: number;
  limits: LimitsSnapshot;
}

export interface RejectDecision {
  admitted: false;
  reason: RejectReason;
  /** Whole seconds, at least 1, until this request would be admitted. */
  retryAfterSeconds: number;
  limits: LimitsSnapshot;
}

export type Decision = AdmitDecision | RejectDecision;
