/**
 * Messages between the edge and the coordinator. The edge sends a
 * DecisionRequest as JSON to `POST /v1/decide` through the `LIMITER` binding
 * and receives a Decision.
 */
import type { WindowStatus } from "./sliding-window";

export const DECIDE_PATH = "/v1/decide";
export const READY_PATH = "/v1/ready";
/**
 * `POST /v1/cancel`: the edge gave up waiting for a decision (and returned
 * 503), so an admission made for that request must be given back.
 */
export const CANCEL_PATH = "/v1/cancel";
/** `GET /v1/sessions/{id}`: what the guard stores for one session. */
export const SESSIONS_PATH_PREFIX = "/v1/sessions/";

/** Header carrying the shared secret between edge and coordinator. */
export const SECRET_HEADER = "x-coordinator-secret";

export interface DecisionRequest {
  requestId: string;
  sessionId: string;
  /** Canonical text of the client address (IPv4-mapped IPv6 as IPv4). */
  ipAddress: string;
  userAgent: string;
}

export interface CancelRequest {
  requestId: string;
  sessionId: string;
}

export type RejectReason = "session_limit" | "global_limit";
export type BlockReason = "fingerprint_mismatch" | "session_quarantined";

export interface LimitsSnapshot {
  session: WindowStatus;
  global: WindowStatus;
}

/**
 * In ANOMALY_MODE=monitor, what enforcement would have done with a request
 * that was let through.
 */
export interface MonitorNote {
  verdict: "would_block";
  reason: BlockReason;
  message: string;
}

export interface AdmitDecision {
  admitted: true;
  anomaly?: MonitorNote;
  /** Epoch milliseconds of the admission, on the global limiter's clock. */
  admittedAt: number;
  limits: LimitsSnapshot;
}

export interface RejectDecision {
  admitted: false;
  reason: RejectReason;
  anomaly?: MonitorNote;
  /** Whole seconds, at least 1, until this request would be admitted. */
  retryAfterSeconds: number;
  limits: LimitsSnapshot;
}

/** A request blocked by anomaly detection; it consumed no quota. */
export interface BlockDecision {
  admitted: false;
  reason: BlockReason;
  message: string;
  /** Epoch milliseconds when the session's quarantine ends, if it has one. */
  quarantinedUntil?: number;
  /** Whole seconds until the quarantine ends, if it has one. */
  retryAfterSeconds?: number;
}

export type Decision = AdmitDecision | RejectDecision | BlockDecision;

/** Tells whether a decision is an anomaly block rather than a rate limit. */
export function isBlockDecision(decision: Decision): decision is BlockDecision {
  return (
    !decision.admitted &&
    (decision.reason === "fingerprint_mismatch" ||
      decision.reason === "session_quarantined")
  );
}

/** A session's stored state, for operators and tests (`GET /v1/sessions/{id}`). */
export interface SessionInspection {
  sessionId: string;
  /** Whether storage contains this session; false once the alarm cleaned up. */
  stored: boolean;
  /**
   * Sessions stored by the object that owns this one: 1 at most with one
   * object per session id, more when objects are shared (SESSION_SHARDS).
   */
  sessionsInObject: number;
  /** Admission times still inside the session window, epoch ms. */
  admissions: number[];
  owner: { ip: string; network: string; userAgent: string } | null;
  unconfirmedClients: number;
  quarantinedUntil: number | null;
  risk: { checked: number; foreign: number };
  /**
   * When the cleanup alarm of the object that owns this session fires, epoch
   * ms, or null. With shared guards it serves every session of the shard.
   */
  alarmAt: number | null;
}
