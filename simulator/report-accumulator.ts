/**
 * Running aggregation of request records. It keeps counters and admission
 * times, not the records themselves, so long runs stay small in memory.
 */
import type { RequestRecord } from "./traffic-records.ts";
import type { TrafficTotals } from "./simulation-report.ts";

/** Score below which a session counts as low-score (honest owner). */
export const LOW_SCORE_BELOW = 10;
/** Score from which a session's time to quarantine is measured. */
export const QUARANTINE_MIN_SCORE = 50;
/** 403 reason that marks a quarantined session. */
export const QUARANTINE_REASON = "session_quarantined";

/** Counters of requests in one ground-truth group. */
export interface BlockCounters {
  requests: number;
  blocked: number;
  admitted: number;
  flagged: number;
}

/** Everything recorded for one session id. */
export interface SessionStats {
  sessionId: string;
  clientIndex: number;
  score: number;
  requests: number;
  sent: number;
  admitted: number;
  rateLimited: number;
  blocked: number;
  foreign: BlockCounters;
  owner: BlockCounters;
  /** Admission times (coordinator clock when known), epoch ms. */
  admittedAtMs: number[];
  /** 1-based number of the session's first foreign request. */
  firstForeignRequestNumber: number | null;
  /** 1-based number of the first request with a `session_quarantined` 403. */
  firstQuarantineRequestNumber: number | null;
}

/** Aggregated state of a run. */
export interface ReportAccumulator {
  totals: TrafficTotals;
  reasons: Map<string, number>;
  /** Counts of error texts, keyed "kind: message". */
  errorMessages: Map<string, number>;
  servers: Map<string, { attemptsSent: number; admitted: number }>;
  sessions: Map<string, SessionStats>;
  admittedAtMs: number[];
  admittedWithoutServerTime: number;
}

function createBlockCounters(): BlockCounters {
  return { requests: 0, blocked: 0, admitted: 0, flagged: 0 };
}

/** Creates an empty accumulator. */
export function createReportAccumulator(): ReportAccumulator {
  return {
    totals: {
      attemptsSent: 0,
      admitted: 0,
      rateLimited: 0,
      blocked: 0,
      rejected: 0,
      errors: 0,
      serverErrors: 0,
      networkErrors: 0,
      deadlineExceeded: 0,
      cancelled: 0,
      wouldBlock: 0,
      requests: 0,
      gaveUp: 0,
      exhausted: 0,
    },
    reasons: new Map(),
    errorMessages: new Map(),
    servers: new Map(),
    sessions: new Map(),
    admittedAtMs: [],
    admittedWithoutServerTime: 0,
  };
}

function getSessionStats(
  accumulator: ReportAccumulator,
  request: RequestRecord,
): SessionStats {
  let stats = accumulator.sessions.get(request.sessionId);
  if (stats === undefined) {
    stats = {
      sessionId: request.sessionId,
      clientIndex: request.clientIndex,
      score: request.score,
      requests: 0,
      sent: 0,
      admitted: 0,
      rateLimited: 0,
      blocked: 0,
      foreign: createBlockCounters(),
      owner: createBlockCounters(),
      admittedAtMs: [],
      firstForeignRequestNumber: null,
      firstQuarantineRequestNumber: null,
    };
    accumulator.sessions.set(request.sessionId, stats);
  }
  return stats;
}

/** Distinct error texts kept; later new texts are counted together. */
export const MAX_DISTINCT_ERROR_MESSAGES = 50;
const OTHER_ERRORS_KEY = "(other error messages)";

function incrementCount(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function countErrorMessage(counts: Map<string, number>, key: string): void {
  const isKnown = counts.has(key);
  if (!isKnown && counts.size >= MAX_DISTINCT_ERROR_MESSAGES) {
    incrementCount(counts, OTHER_ERRORS_KEY);
    return;
  }
  incrementCount(counts, key);
}

function recordAttempts(
  accumulator: ReportAccumulator,
  request: RequestRecord,
  session: SessionStats,
): void {
  const totals = accumulator.totals;
  for (const attempt of request.attempts) {
    totals.attemptsSent += 1;
    session.sent += 1;

    let server = accumulator.servers.get(attempt.serverUrl);
    if (server === undefined) {
      server = { attemptsSent: 0, admitted: 0 };
      accumulator.servers.set(attempt.serverUrl, server);
    }
    server.attemptsSent += 1;

    if (attempt.wouldBlock) {
      totals.wouldBlock += 1;
    }
    if (attempt.errorMessage !== null && attempt.kind !== "cancelled") {
      countErrorMessage(
        accumulator.errorMessages,
        `${attempt.kind}: ${attempt.errorMessage}`,
      );
    }
    if (attempt.status !== null) {
      incrementCount(
        accumulator.reasons,
        `${attempt.status} ${attempt.reason ?? "(no reason)"}`,
      );
    }

    switch (attempt.kind) {
      case "admitted": {
        totals.admitted += 1;
        session.admitted += 1;
        server.admitted += 1;
        const admittedAtMs = attempt.admittedAtMs ?? attempt.receivedAtMs;
        if (attempt.admittedAtMs === null) {
          accumulator.admittedWithoutServerTime += 1;
        }
        accumulator.admittedAtMs.push(admittedAtMs);
        session.admittedAtMs.push(admittedAtMs);
        break;
      }
      case "rate_limited":
        totals.rateLimited += 1;
        session.rateLimited += 1;
        break;
      case "blocked":
        totals.blocked += 1;
        session.blocked += 1;
        break;
      case "rejected":
        totals.rejected += 1;
        break;
      case "server_error":
        totals.errors += 1;
        totals.serverErrors += 1;
        break;
      case "network_error":
        totals.errors += 1;
        totals.networkErrors += 1;
        break;
      case "deadline_exceeded":
        totals.errors += 1;
        totals.deadlineExceeded += 1;
        break;
      case "cancelled":
        totals.cancelled += 1;
        break;
    }
  }
}

function recordGroundTruth(
  request: RequestRecord,
  session: SessionStats,
): void {
  // A request cut short by the stop has no response to judge.
  if (request.outcome === "cancelled") {
    return;
  }
  const group = request.foreign ? session.foreign : session.owner;
  group.requests += 1;
  if (request.outcome === "blocked") {
    group.blocked += 1;
  }
  if (request.outcome === "admitted") {
    group.admitted += 1;
  }
  if (request.attempts.some((attempt) => attempt.wouldBlock)) {
    group.flagged += 1;
  }
}

function recordQuarantineProgress(
  request: RequestRecord,
  session: SessionStats,
): void {
  const requestNumber = session.requests;
  if (request.foreign && session.firstForeignRequestNumber === null) {
    session.firstForeignRequestNumber = requestNumber;
  }
  const quarantined = request.attempts.some(
    (attempt) => attempt.status === 403 && attempt.reason === QUARANTINE_REASON,
  );
  if (quarantined && session.firstQuarantineRequestNumber === null) {
    session.firstQuarantineRequestNumber = requestNumber;
  }
}

/**
 * Adds one finished request. Requests of one session must arrive in the
 * order they were sent. That is true because each session belongs to one
 * sequential client loop.
 */
export function recordRequest(
  accumulator: ReportAccumulator,
  request: RequestRecord,
): void {
  const session = getSessionStats(accumulator, request);
  accumulator.totals.requests += 1;
  session.requests += 1;

  if (request.outcome === "gave_up") {
    accumulator.totals.gaveUp += 1;
  }
  if (request.outcome === "exhausted") {
    accumulator.totals.exhausted += 1;
  }

  recordAttempts(accumulator, request, session);
  recordGroundTruth(request, session);
  recordQuarantineProgress(request, session);
}
