/**
 * Turns an accumulator into the final report: rolling-window maxima, the
 * detection figures and the pass/fail verdict.
 */
import {
  LOW_SCORE_BELOW,
  QUARANTINE_MIN_SCORE,
  type BlockCounters,
  type ReportAccumulator,
  type SessionStats,
} from "./report-accumulator.ts";
import {
  computeRollingWindowMax,
  type RollingWindowMax,
} from "./rolling-window.ts";
import type {
  BlockRate,
  DetectionReport,
  QuarantineReport,
  ReportVerdict,
  RollingWindowReport,
  SessionReport,
  SimulationReport,
  SimulationRunInfo,
} from "./simulation-report.ts";

function divideOrNull(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}

/** Returns the median of a list of numbers, or null when it is empty. */
export function computeMedian(values: readonly number[]): number | null {
  if (values.length === 0) {
    return null;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) {
    return sorted[middle]!;
  }
  return (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function sumBlockCounters(groups: readonly BlockCounters[]): BlockCounters {
  const sum: BlockCounters = {
    requests: 0,
    blocked: 0,
    admitted: 0,
    flagged: 0,
  };
  for (const group of groups) {
    sum.requests += group.requests;
    sum.blocked += group.blocked;
    sum.admitted += group.admitted;
    sum.flagged += group.flagged;
  }
  return sum;
}

function toBlockRate(counters: BlockCounters): BlockRate {
  return {
    requests: counters.requests,
    blocked: counters.blocked,
    admitted: counters.admitted,
    rate: divideOrNull(counters.blocked, counters.requests),
    rateAmongDecided: divideOrNull(
      counters.blocked,
      counters.blocked + counters.admitted,
    ),
  };
}

function buildQuarantineReport(
  sessions: readonly SessionStats[],
): QuarantineReport {
  const requestsToQuarantine: number[] = [];
  let sessionsWithForeign = 0;
  for (const session of sessions) {
    const firstForeign = session.firstForeignRequestNumber;
    if (session.score < QUARANTINE_MIN_SCORE || firstForeign === null) {
      continue;
    }
    sessionsWithForeign += 1;
    const firstQuarantine = session.firstQuarantineRequestNumber;
    if (firstQuarantine !== null && firstQuarantine >= firstForeign) {
      requestsToQuarantine.push(firstQuarantine - firstForeign + 1);
    }
  }
  return {
    minScore: QUARANTINE_MIN_SCORE,
    sessionsWithForeign,
    sessionsQuarantined: requestsToQuarantine.length,
    medianRequestsToQuarantine: computeMedian(requestsToQuarantine),
    maxRequestsToQuarantine:
      requestsToQuarantine.length === 0
        ? null
        : Math.max(...requestsToQuarantine),
  };
}

function buildDetectionReport(
  sessions: readonly SessionStats[],
): DetectionReport {
  const foreign = sumBlockCounters(sessions.map((session) => session.foreign));
  const owner = sumBlockCounters(sessions.map((session) => session.owner));
  const lowScoreOwner = sumBlockCounters(
    sessions
      .filter((session) => session.score < LOW_SCORE_BELOW)
      .map((session) => session.owner),
  );
  return {
    foreign: toBlockRate(foreign),
    owner: toBlockRate(owner),
    lowScoreOwner: toBlockRate(lowScoreOwner),
    lowScoreBelow: LOW_SCORE_BELOW,
    quarantine: buildQuarantineReport(sessions),
    monitor: { foreignFlagged: foreign.flagged, ownerFlagged: owner.flagged },
  };
}

interface WindowedSessions {
  rollingWindow: RollingWindowReport;
  sessionRows: SessionReport[];
}

function buildRollingWindows(
  accumulator: ReportAccumulator,
  sessions: readonly SessionStats[],
  run: SimulationRunInfo,
): WindowedSessions {
  const { limits } = run;
  const globalMax = computeRollingWindowMax(
    accumulator.admittedAtMs,
    limits.globalWindowSeconds * 1000,
  );

  let worst: RollingWindowMax = { maxCount: 0, windowStartMs: null };
  let worstSessionId: string | null = null;
  const sessionRows: SessionReport[] = [];
  for (const session of sessions) {
    const sessionMax = computeRollingWindowMax(
      session.admittedAtMs,
      limits.sessionWindowSeconds * 1000,
    );
    if (sessionMax.maxCount > worst.maxCount) {
      worst = sessionMax;
      worstSessionId = session.sessionId;
    }
    sessionRows.push({
      sessionId: session.sessionId,
      clientIndex: session.clientIndex,
      score: session.score,
      requests: session.requests,
      sent: session.sent,
      admitted: session.admitted,
      rateLimited: session.rateLimited,
      blocked: session.blocked,
      foreignRequests: session.foreign.requests,
      foreignBlocked: session.foreign.blocked,
      maxAdmittedInWindow: sessionMax.maxCount,
    });
  }

  return {
    sessionRows,
    rollingWindow: {
      global: {
        limit: limits.globalLimit,
        windowSeconds: limits.globalWindowSeconds,
        maxAdmitted: globalMax.maxCount,
        withinLimit: globalMax.maxCount <= limits.globalLimit,
        windowStartMs: globalMax.windowStartMs,
      },
      session: {
        limit: limits.sessionLimit,
        windowSeconds: limits.sessionWindowSeconds,
        maxAdmitted: worst.maxCount,
        withinLimit: worst.maxCount <= limits.sessionLimit,
        windowStartMs: worst.windowStartMs,
        sessionId: worstSessionId,
      },
      admittedWithoutServerTime: accumulator.admittedWithoutServerTime,
    },
  };
}

function formatWindowStart(windowStartMs: number | null): string {
  return windowStartMs === null ? "" : new Date(windowStartMs).toISOString();
}

function buildVerdict(rollingWindow: RollingWindowReport): ReportVerdict {
  const violations: string[] = [];
  const { global, session } = rollingWindow;
  if (!global.withinLimit) {
    violations.push(
      `global limit exceeded: ${global.maxAdmitted} requests admitted within ` +
        `${global.windowSeconds} s (limit ${global.limit}), in the window ` +
        `starting ${formatWindowStart(global.windowStartMs)}`,
    );
  }
  if (!session.withinLimit) {
    violations.push(
      `session limit exceeded: session ${session.sessionId} had ` +
        `${session.maxAdmitted} requests admitted within ` +
        `${session.windowSeconds} s (limit ${session.limit}), in the window ` +
        `starting ${formatWindowStart(session.windowStartMs)}`,
    );
  }
  return { passed: violations.length === 0, violations };
}

/** Builds the final report from the accumulated observations. */
export function buildSimulationReport(
  accumulator: ReportAccumulator,
  run: SimulationRunInfo,
): SimulationReport {
  const sessions = [...accumulator.sessions.values()].sort(
    (a, b) => a.clientIndex - b.clientIndex,
  );
  const { rollingWindow, sessionRows } = buildRollingWindows(
    accumulator,
    sessions,
    run,
  );
  const servers = [...accumulator.servers.entries()]
    .map(([serverUrl, counts]) => ({ serverUrl, ...counts }))
    .sort((a, b) => a.serverUrl.localeCompare(b.serverUrl));

  return {
    run,
    totals: { ...accumulator.totals },
    reasons: Object.fromEntries(
      [...accumulator.reasons.entries()].sort(([a], [b]) => a.localeCompare(b)),
    ),
    errorMessages: Object.fromEntries(accumulator.errorMessages),
    servers,
    rollingWindow,
    detection: buildDetectionReport(sessions),
    sessions: sessionRows,
    verdict: buildVerdict(rollingWindow),
  };
}
