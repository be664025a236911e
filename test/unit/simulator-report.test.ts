import { describe, expect, it } from "vitest";
import {
  createReportAccumulator,
  recordRequest,
  type ReportAccumulator,
} from "../../simulator/report-accumulator.ts";
import {
  buildSimulationReport,
  computeMedian,
} from "../../simulator/report-builder.ts";
import type { SimulationRunInfo } from "../../simulator/simulation-report.ts";
import type {
  AttemptKind,
  AttemptRecord,
  RequestRecord,
} from "../../simulator/traffic-records.ts";

const RUN_INFO: SimulationRunInfo = {
  startedAt: "2026-01-01T00:00:00.000Z",
  elapsedSeconds: 10,
  stopReason: "duration",
  seed: 1,
  clients: 1,
  serverUrls: ["http://127.0.0.1:8080"],
  clientDefects: false,
  limits: {
    globalLimit: 3,
    globalWindowSeconds: 10,
    sessionLimit: 2,
    sessionWindowSeconds: 10,
  },
};

const STATUS_BY_KIND: Record<AttemptKind, number | null> = {
  admitted: 200,
  rate_limited: 429,
  blocked: 403,
  rejected: 400,
  server_error: 503,
  network_error: null,
  deadline_exceeded: null,
  cancelled: null,
};

function makeAttempt(
  kind: AttemptKind,
  fields: Partial<AttemptRecord> = {},
): AttemptRecord {
  return {
    attemptIndex: 0,
    serverUrl: "http://127.0.0.1:8080",
    kind,
    status: STATUS_BY_KIND[kind],
    reason: null,
    admittedAtMs: null,
    receivedAtMs: 0,
    retryAfterSeconds: null,
    wouldBlock: false,
    errorMessage: STATUS_BY_KIND[kind] === null ? "failed" : null,
    ...fields,
  };
}

function makeRequest(
  sessionId: string,
  score: number,
  foreign: boolean,
  attempts: AttemptRecord[],
  outcome = attempts.at(-1)!.kind as RequestRecord["outcome"],
): RequestRecord {
  return { clientIndex: 0, sessionId, score, foreign, attempts, outcome };
}

function admittedAt(ms: number): AttemptRecord {
  return makeAttempt("admitted", { admittedAtMs: ms, receivedAtMs: ms + 5 });
}

function quarantined(): AttemptRecord {
  return makeAttempt("blocked", { reason: "session_quarantined" });
}

function recordAll(requests: RequestRecord[]): ReportAccumulator {
  const accumulator = createReportAccumulator();
  for (const request of requests) {
    recordRequest(accumulator, request);
  }
  return accumulator;
}

describe("computeMedian", () => {
  it("handles odd, even and empty lists", () => {
    expect(computeMedian([3, 1, 2])).toBe(2);
    expect(computeMedian([4, 1, 3, 2])).toBe(2.5);
    expect(computeMedian([])).toBeNull();
  });
});

describe("buildSimulationReport", () => {
  it("counts attempts by kind and requests by outcome", () => {
    const accumulator = recordAll([
      makeRequest("a", 0, false, [admittedAt(1_000)]),
      makeRequest(
        "a",
        0,
        false,
        [makeAttempt("rate_limited"), makeAttempt("rate_limited")],
        "gave_up",
      ),
      makeRequest("b", 0, false, [makeAttempt("server_error")]),
      makeRequest("b", 0, false, [makeAttempt("network_error")]),
      makeRequest("b", 0, false, [makeAttempt("deadline_exceeded")]),
      makeRequest("b", 0, false, [makeAttempt("rejected")]),
      makeRequest("b", 0, false, [makeAttempt("cancelled")]),
    ]);
    const { totals } = buildSimulationReport(accumulator, RUN_INFO);
    expect(totals.attemptsSent).toBe(8);
    expect(totals.requests).toBe(7);
    expect(totals.admitted).toBe(1);
    expect(totals.rateLimited).toBe(2);
    expect(totals.rejected).toBe(1);
    expect(totals.errors).toBe(3);
    expect(totals.serverErrors).toBe(1);
    expect(totals.networkErrors).toBe(1);
    expect(totals.deadlineExceeded).toBe(1);
    expect(totals.cancelled).toBe(1);
    expect(totals.gaveUp).toBe(1);
  });

  it("passes when admissions stay within both limits", () => {
    const accumulator = recordAll([
      makeRequest("a", 0, false, [admittedAt(0)]),
      makeRequest("a", 0, false, [admittedAt(9_999)]),
      makeRequest("b", 0, false, [admittedAt(10_000)]),
      makeRequest("a", 0, false, [admittedAt(10_000)]),
    ]);
    const report = buildSimulationReport(accumulator, RUN_INFO);
    expect(report.rollingWindow.global.maxAdmitted).toBe(3);
    expect(report.rollingWindow.session.maxAdmitted).toBe(2);
    expect(report.verdict).toEqual({ passed: true, violations: [] });
  });

  it("fails when a session exceeds its limit", () => {
    const accumulator = recordAll([
      makeRequest("a", 0, false, [admittedAt(0)]),
      makeRequest("a", 0, false, [admittedAt(1)]),
      makeRequest("a", 0, false, [admittedAt(2)]),
    ]);
    const report = buildSimulationReport(accumulator, RUN_INFO);
    expect(report.rollingWindow.session.maxAdmitted).toBe(3);
    expect(report.rollingWindow.session.sessionId).toBe("a");
    expect(report.rollingWindow.session.withinLimit).toBe(false);
    expect(report.rollingWindow.global.withinLimit).toBe(true);
    expect(report.verdict.passed).toBe(false);
    expect(report.verdict.violations).toHaveLength(1);
    expect(report.verdict.violations[0]).toContain("session a");
  });

  it("fails when the global count exceeds its limit", () => {
    const accumulator = recordAll(
      ["a", "b", "c", "d"].map((sessionId, i) =>
        makeRequest(sessionId, 0, false, [admittedAt(i * 100)]),
      ),
    );
    const report = buildSimulationReport(accumulator, RUN_INFO);
    expect(report.rollingWindow.global.maxAdmitted).toBe(4);
    expect(report.verdict.passed).toBe(false);
    expect(report.verdict.violations[0]).toContain("global limit exceeded");
  });

  it("times an admission on arrival without admittedAt", () => {
    const accumulator = recordAll([
      makeRequest("a", 0, false, [
        makeAttempt("admitted", { receivedAtMs: 0 }),
      ]),
      makeRequest("a", 0, false, [
        makeAttempt("admitted", { receivedAtMs: 20_000 }),
      ]),
    ]);
    const report = buildSimulationReport(accumulator, RUN_INFO);
    expect(report.rollingWindow.admittedWithoutServerTime).toBe(2);
    expect(report.rollingWindow.session.maxAdmitted).toBe(1);
  });

  it("computes recall and owner false blocks from ground truth", () => {
    const accumulator = recordAll([
      makeRequest("low", 5, false, [admittedAt(0)]),
      makeRequest("low", 5, false, [makeAttempt("blocked")]),
      makeRequest("low", 5, true, [makeAttempt("blocked")]),
      makeRequest("high", 70, true, [admittedAt(1)]),
      makeRequest("high", 70, true, [makeAttempt("rate_limited")], "exhausted"),
      makeRequest("high", 70, false, [admittedAt(2)]),
      makeRequest("high", 70, true, [makeAttempt("cancelled")]),
    ]);
    const { detection } = buildSimulationReport(accumulator, RUN_INFO);
    expect(detection.foreign).toEqual({
      requests: 3,
      blocked: 1,
      admitted: 1,
      rate: 1 / 3,
      rateAmongDecided: 1 / 2,
    });
    expect(detection.owner.requests).toBe(3);
    expect(detection.owner.blocked).toBe(1);
    expect(detection.owner.rate).toBe(1 / 3);
    expect(detection.lowScoreOwner.requests).toBe(2);
    expect(detection.lowScoreOwner.rate).toBe(1 / 2);
  });

  it("counts requests from first foreign to quarantine", () => {
    const accumulator = recordAll([
      // Session q1: foreign at request 2, quarantined at request 4 -> 3.
      makeRequest("q1", 60, false, [admittedAt(0)]),
      makeRequest("q1", 60, true, [makeAttempt("blocked")]),
      makeRequest("q1", 60, false, [admittedAt(1)]),
      makeRequest("q1", 60, true, [quarantined()]),
      makeRequest("q1", 60, false, [quarantined()]),
      // Session q2: quarantined on its first foreign request -> 1.
      makeRequest("q2", 90, true, [quarantined()]),
      // Session q3: foreign but never quarantined.
      makeRequest("q3", 50, true, [makeAttempt("blocked")]),
      // Session low: below the score threshold, not counted.
      makeRequest("low", 49, true, [quarantined()]),
    ]);
    const { quarantine } = buildSimulationReport(
      accumulator,
      RUN_INFO,
    ).detection;
    expect(quarantine.sessionsWithForeign).toBe(3);
    expect(quarantine.sessionsQuarantined).toBe(2);
    expect(quarantine.medianRequestsToQuarantine).toBe(2);
    expect(quarantine.maxRequestsToQuarantine).toBe(3);
  });

  it("fills per-session rows and would_block counts", () => {
    const accumulator = recordAll([
      makeRequest("s", 80, true, [
        makeAttempt("rate_limited", { reason: "session_limit" }),
        makeAttempt("admitted", {
          admittedAtMs: 5,
          wouldBlock: true,
          reason: null,
        }),
      ]),
      makeRequest("s", 80, false, [
        makeAttempt("blocked", { reason: "fingerprint_mismatch" }),
      ]),
    ]);
    const report = buildSimulationReport(accumulator, RUN_INFO);
    expect(report.sessions).toEqual([
      {
        sessionId: "s",
        clientIndex: 0,
        score: 80,
        requests: 2,
        sent: 3,
        admitted: 1,
        rateLimited: 1,
        blocked: 1,
        foreignRequests: 1,
        foreignBlocked: 0,
        maxAdmittedInWindow: 1,
      },
    ]);
    expect(report.totals.wouldBlock).toBe(1);
    expect(report.detection.monitor).toEqual({
      foreignFlagged: 1,
      ownerFlagged: 0,
    });
    expect(report.reasons).toEqual({
      "200 (no reason)": 1,
      "403 fingerprint_mismatch": 1,
      "429 session_limit": 1,
    });
  });
});
